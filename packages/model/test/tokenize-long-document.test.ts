import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Tokenizer } from '@anush008/tokenizers';
import { fixtureModelDir } from '@rerankd/testing';
import { loadPairEncoder, QWEN3_SUFFIX } from '../src/tokenize';
import { CUT_MARGIN_TOKENS, cutLongDocument } from '../src/tokenize/long-document';

const words = (n: number, word: (i: number) => string) => Array.from({ length: n }, (_, i) => word(i)).join(' ');

// Word ends where pre-tokenizers join characters across whitespace: punctuation before a
// newline, numbers, contractions, runs of spaces, and words that make no token at all.
const documents = {
  prose: words(900, (i) => ['alpha', 'beta,', 'gamma.', "it's", '2024', '(delta)'][i % 6]!),
  lines: Array.from({ length: 700 }, (_, i) => `line ${i} ends here.\n`).join(''),
  spaces: words(700, (i) => (i % 3 === 0 ? 'wide   ' : 'gap\t')),
  // Control characters are dropped by BERT's normalizer: the cut leaves too few tokens and the
  // whole document is encoded instead.
  silent: `${words(600, () => '\u0001')} ${words(600, (i) => `tail${i}`)}`,
};

describe('cutLongDocument', () => {
  it('keeps the first maxTokens + margin words, up to the end of the last one, or says there is nothing to cut', () => {
    const mixed = Array.from({ length: 20 }, (_, i) => `w${i}${i % 2 ? '  ' : '\n'}`).join('');
    assert.equal(cutLongDocument(mixed, 18 - CUT_MARGIN_TOKENS), mixed.slice(0, mixed.indexOf('w17') + 3));
    assert.equal(cutLongDocument(words(40, (i) => `w${i}`), 10), words(10 + CUT_MARGIN_TOKENS, (i) => `w${i}`));
    assert.equal(cutLongDocument(words(26, (i) => `w${i}`), 10), null);
    assert.equal(cutLongDocument(`${words(30, (i) => `w${i}`)}   `, 14), null);
  });
});

describe('long documents, cut before tokenizing, encode as the whole text would', () => {
  it('Qwen3: the kept tokens are those of the whole document', async () => {
    const dir = fixtureModelDir('qwen3-tiny-tied');
    const whole = await loadPairEncoder(dir, { prompt: 'qwen3', maxLength: 100_000 });
    const suffixLength = (await Tokenizer.fromFile(join(dir, 'tokenizer.json')).encode(QWEN3_SUFFIX, null, { addSpecialTokens: false })).getLength();
    for (const maxLength of [120, 333]) {
      const encoder = await loadPairEncoder(dir, { prompt: 'qwen3', maxLength });
      for (const [name, document] of Object.entries(documents)) {
        const full = (await whole.encode({ query: 'what is kept', document })).inputIds;
        const expected = [...full.slice(0, maxLength - suffixLength), ...full.slice(-suffixLength)];
        const [encoded] = await encoder.encodeBatch([{ query: 'what is kept', document }]);
        assert.deepEqual(encoded!.inputIds, expected, `${name} at ${maxLength}`);
        assert.equal(encoded!.truncated, true);
      }
    }
  });

  for (const model of ['bert-tiny-ce', 'xlmr-tiny-ce'] as const) {
    it(`${model}: longest_first keeps what it keeps of the whole document`, async () => {
      const dir = fixtureModelDir(model);
      const library = Tokenizer.fromFile(join(dir, 'tokenizer.json'));
      for (const maxLength of [64, 257]) {
        library.setTruncation(maxLength);
        const encoder = await loadPairEncoder(dir, { prompt: 'encoder', maxLength });
        for (const [name, document] of Object.entries(documents)) {
          const expected = await library.encode('what is kept', document);
          const [encoded] = await encoder.encodeBatch([{ query: 'what is kept', document }]);
          assert.deepEqual(encoded!.inputIds, expected.getIds(), `${name} at ${maxLength}`);
          assert.deepEqual(encoded!.tokenTypeIds, expected.getTypeIds(), `${name} at ${maxLength}`);
        }
      }
    });
  }
});
