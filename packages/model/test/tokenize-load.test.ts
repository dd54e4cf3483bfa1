import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ModelLoadError } from '@rerankd/protocol';
import { copyFixtureModel, fixtureModelDir } from '@rerankd/testing';
import { loadPairEncoder } from '../src/tokenize';

function namesFile(file: string, problem: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof ModelLoadError);
    assert.equal(err.file, file);
    assert.match(err.message, problem);
    return true;
  };
}

describe('loadPairEncoder', () => {
  it('names a missing tokenizer.json', async () => {
    const dir = copyFixtureModel('bert-tiny-ce');
    rmSync(join(dir, 'tokenizer.json'));
    await assert.rejects(loadPairEncoder(dir, { prompt: 'encoder' }), namesFile(join(dir, 'tokenizer.json'), /missing/));
  });

  it('names an unreadable tokenizer.json', async () => {
    const dir = copyFixtureModel('xlmr-tiny-ce');
    writeFileSync(join(dir, 'tokenizer.json'), '{"version": "1.0", "model":');
    await assert.rejects(loadPairEncoder(dir, { prompt: 'encoder' }), namesFile(join(dir, 'tokenizer.json'), /cannot load/));
  });

  it('names an unreadable tokenizer_config.json', async () => {
    const dir = copyFixtureModel('bert-tiny-ce');
    writeFileSync(join(dir, 'tokenizer_config.json'), '{');
    await assert.rejects(
      loadPairEncoder(dir, { prompt: 'encoder' }),
      namesFile(join(dir, 'tokenizer_config.json'), /tokenizer_config\.json/),
    );
  });

  it('refuses a Qwen3 prompt on a vocabulary without yes and no', async () => {
    const dir = fixtureModelDir('bert-tiny-ce');
    await assert.rejects(loadPairEncoder(dir, { prompt: 'qwen3' }), namesFile(join(dir, 'tokenizer.json'), /'yes'/));
  });

  it("caps an encoder's limit at tokenizer_config.json's model_max_length", async () => {
    const dir = copyFixtureModel('bert-tiny-ce');
    const configFile = join(dir, 'tokenizer_config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(configFile, JSON.stringify({ ...config, model_max_length: 128 }));
    assert.equal((await loadPairEncoder(dir, { prompt: 'encoder' })).maxLength, 128);
    assert.equal((await loadPairEncoder(dir, { prompt: 'encoder', maxLength: 1024 })).maxLength, 128);
    assert.equal((await loadPairEncoder(dir, { prompt: 'encoder', maxLength: 100 })).maxLength, 100);
    // transformers' "no limit" value
    writeFileSync(configFile, JSON.stringify({ ...config, model_max_length: 1e30 }));
    assert.equal((await loadPairEncoder(dir, { prompt: 'encoder' })).maxLength, 512);
  });

  it('refuses a limit that is not a positive integer or leaves no room for text', async () => {
    const dir = fixtureModelDir('bert-tiny-ce');
    await assert.rejects(loadPairEncoder(dir, { prompt: 'encoder', maxLength: 0 }), namesFile(dir, /positive integer/));
    await assert.rejects(loadPairEncoder(dir, { prompt: 'encoder', maxLength: 2.5 }), namesFile(dir, /positive integer/));
    await assert.rejects(
      loadPairEncoder(dir, { prompt: 'encoder', maxLength: 3 }),
      namesFile(join(dir, 'tokenizer.json'), /3 special tokens/),
    );
  });
});
