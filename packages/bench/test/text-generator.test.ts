import { strict as assert } from 'node:assert';
import { before, describe, it } from 'node:test';
import { loadPairEncoder, type PairEncoder } from '@rerankd/model';
import { DEFAULT_TOKENS_PER_WORD, TextGenerator } from '@rerankd/bench';
import { fixtureModelDir } from '@rerankd/testing';

/** Tokens of `document` alone: the pair's tokens less those of the same pair with an empty document. */
async function documentTokens(encoder: PairEncoder, document: string): Promise<number> {
  const [full, empty] = await encoder.encodeBatch([
    { query: 'q', document },
    { query: 'q', document: '' },
  ]);
  return full!.inputIds.length - empty!.inputIds.length;
}

describe('TextGenerator', () => {
  it('gives the same texts for the same seed and key, on every run', () => {
    const a = new TextGenerator({ seed: 7 });
    const b = new TextGenerator({ seed: 7 });
    assert.equal(a.document('c0/r0/d0', 200), b.document('c0/r0/d0', 200));
    assert.equal(a.query('c0'), b.query('c0'));
    // A fixed text: changing how texts are generated changes every benchmark's input.
    assert.equal(new TextGenerator({ seed: 0 }).words('fixed', 6), new TextGenerator({ seed: 0 }).words('fixed', 6));
  });

  it('gives different texts for different keys and seeds, and a text does not depend on what came before', () => {
    const text = new TextGenerator({ seed: 1 });
    const first = text.document('k1', 100);
    text.document('k2', 500);
    text.query('q');
    assert.equal(text.document('k1', 100), first);
    assert.notEqual(text.document('k2', 100), first);
    assert.notEqual(new TextGenerator({ seed: 2 }).document('k1', 100), first);
    assert.notEqual(text.query('a'), text.query('b'));
  });

  it('sizes documents by tokens per word', () => {
    const text = new TextGenerator({ tokensPerWord: 2 });
    assert.equal(text.document('d', 100).split(' ').length, 50);
    assert.equal(text.withTokensPerWord(1).document('d', 100).split(' ').length, 100);
    assert.equal(new TextGenerator().tokensPerWord, DEFAULT_TOKENS_PER_WORD);
    assert.throws(() => new TextGenerator({ tokensPerWord: 0 }), RangeError);
  });

  describe('on the real Qwen3 tokenizer', () => {
    let encoder: PairEncoder;
    before(async () => {
      encoder = await loadPairEncoder(fixtureModelDir('qwen3-tiny-tied'), { prompt: 'qwen3', maxLength: 16384 });
    });

    for (const target of [32, 128, 512, 2048]) {
      it(`hits ${target} tokens within ±15% with the default tokens per word`, async () => {
        const text = new TextGenerator({ seed: 3 });
        const counts = await Promise.all(Array.from({ length: 8 }, (_, d) => documentTokens(encoder, text.document(`t${target}/d${d}`, target))));
        for (const count of counts) {
          assert.ok(Math.abs(count - target) <= 0.15 * target, `${count} tokens for a target of ${target} (all: ${counts.join(', ')})`);
        }
      });
    }
  });

  it('hits the target on another tokenizer once tokens per word are measured for it', async () => {
    const encoder = await loadPairEncoder(fixtureModelDir('bert-tiny-ce'), { prompt: 'encoder', maxLength: 512 });
    const text = new TextGenerator({ seed: 4 });
    const sample = text.words('measure', 100);
    const ratio = (await documentTokens(encoder, sample)) / 100;
    assert.ok(ratio > 1.5, `this tiny vocabulary splits words further (${ratio} tokens per word)`);
    const sized = text.withTokensPerWord(ratio);
    for (const target of [64, 200, 400]) {
      const count = await documentTokens(encoder, sized.document(`bert/${target}`, target));
      assert.ok(Math.abs(count - target) <= 0.15 * target, `${count} tokens for a target of ${target}`);
    }
  });
});
