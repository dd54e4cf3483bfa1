import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { copyFixtureModel, fixtureModelDir, loadReference, runRerankd as runCli } from '@rerankd/testing';


describe('rerankd score', () => {
  test('scores JSON lines in order, with an error object on each malformed line', async () => {
    const reference = loadReference('qwen3-tiny-untied');
    const [a, b] = reference.pairs.filter((p) => p.instruction === null);
    assert.ok(a && b);
    const input = [
      JSON.stringify({ query: a.query, document: a.document }),
      '{"query": "unterminated',
      JSON.stringify({ query: 'no document' }),
      JSON.stringify({ query: b.query, document: b.document }),
    ].join('\n');
    const { code, stdout, stderr } = await runCli(['score', '--model', fixtureModelDir('qwen3-tiny-untied'), '--emit-ids'], input);
    assert.equal(code, 0, stderr);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 4);
    assert.ok(Math.abs(lines[0].score - a.score) < 1e-4);
    assert.ok(Math.abs(lines[0].logit_yes - (a.logit_yes as number)) < 1e-3);
    assert.ok(Math.abs(lines[0].logit_no - (a.logit_no as number)) < 1e-3);
    assert.deepEqual(lines[0].input_ids, a.input_ids);
    assert.match(lines[1].error.message, /line 2: not valid JSON/);
    assert.equal(lines[1].error.line, 2);
    assert.match(lines[2].error.message, /line 3: document/);
    assert.ok(Math.abs(lines[3].score - b.score) < 1e-4);
  });

  test('classification heads print score and logit, and token_type_ids with --emit-ids', async () => {
    const [pair] = loadReference('bert-tiny-ce').pairs;
    assert.ok(pair);
    const { code, stdout } = await runCli(['score', '--model', fixtureModelDir('bert-tiny-ce'), '--emit-ids'], JSON.stringify({ query: pair.query, document: pair.document }));
    assert.equal(code, 0);
    const line = JSON.parse(stdout);
    assert.deepEqual(Object.keys(line).sort(), ['input_ids', 'logit', 'score', 'token_type_ids']);
    assert.ok(Math.abs(line.score - pair.score) < 1e-4);
    assert.deepEqual(line.token_type_ids, pair.token_type_ids);
  });

  test('--instruction sets the instruction of lines that do not carry one', async () => {
    const withInstruction = loadReference('qwen3-tiny-tied').pairs.find((p) => p.instruction !== null);
    assert.ok(withInstruction);
    const line = JSON.stringify({ query: withInstruction.query, document: withInstruction.document });
    const { stdout } = await runCli(['score', '--model', fixtureModelDir('qwen3-tiny-tied'), '--instruction', withInstruction.instruction as string], line);
    assert.ok(Math.abs(JSON.parse(stdout).score - withInstruction.score) < 1e-4);
  });

  test('a broken model fails with one message naming the file, and a non-zero exit code', async () => {
    const dir = copyFixtureModel('qwen3-tiny-tied');
    rmSync(join(dir, 'tokenizer.json'));
    const missingTokenizer = await runCli(['score', '--model', dir], '');
    assert.equal(missingTokenizer.code, 1);
    assert.match(missingTokenizer.stderr, /tokenizer\.json/);
    assert.doesNotMatch(missingTokenizer.stderr, /\n\s+at /, 'no stack trace');

    const unknown = copyFixtureModel('bert-tiny-ce');
    writeFileSync(join(unknown, 'config.json'), JSON.stringify({ architectures: ['GPT2LMHeadModel'], model_type: 'gpt2' }));
    const unknownArch = await runCli(['score', '--model', unknown], '');
    assert.equal(unknownArch.code, 1);
    assert.match(unknownArch.stderr, /config\.json.*GPT2LMHeadModel/);
    assert.doesNotMatch(unknownArch.stderr, /\n\s+at /);
  });
});
