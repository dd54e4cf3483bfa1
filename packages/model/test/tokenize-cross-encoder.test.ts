import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Tokenizer } from '@anush008/tokenizers';
import { InvalidRequestError } from '@rerankd/protocol';
import { fixtureModelDir, loadReference } from '@rerankd/testing';
import { loadPairEncoder } from '../src/tokenize';

for (const model of ['bert-tiny-ce', 'xlmr-tiny-ce'] as const) {
  describe(`${model} pair encoder`, () => {
    const dir = fixtureModelDir(model);
    const reference = loadReference(model);
    const longText = reference.pairs.find((pair) => pair.input_ids.length === 512)!.document;
    /** The library's own pair encoding, as transformers' fast tokenizer calls it. */
    async function libraryPair(query: string, document: string, maxLength?: number) {
      const tokenizer = Tokenizer.fromFile(join(dir, 'tokenizer.json'));
      if (maxLength !== undefined) tokenizer.setTruncation(maxLength);
      return tokenizer.encode(query, document);
    }

    it('truncates the reference pair longest_first to 512 tokens', async () => {
      const encoder = await loadPairEncoder(dir, { prompt: 'encoder' });
      assert.equal(encoder.maxLength, 512);
      const encoded = await encoder.encodeBatch(reference.pairs.map(({ query, document }) => ({ query, document })));
      reference.pairs.forEach((expected, i) => {
        assert.equal(encoded[i]!.truncated, expected.input_ids.length === 512, `truncated flag of pair ${i}`);
        assert.deepEqual(encoded[i]!.inputIds, expected.input_ids);
        assert.deepEqual(encoded[i]!.tokenTypeIds, expected.token_type_ids);
      });
    });

    it('truncates longest_first exactly as the tokenizer does a pair', async () => {
      // Lengths chosen so that the query, the document, both or neither are cut, with an odd limit too.
      const cases = [
        { query: longText.slice(0, 400), document: 'short answer' },
        { query: 'short question', document: longText.slice(0, 400) },
        { query: longText.slice(0, 300), document: longText.slice(500, 700) },
        { query: longText.slice(0, 60), document: longText.slice(100, 400) },
        { query: longText.slice(0, 200), document: longText.slice(0, 200) },
      ];
      for (const maxLength of [40, 41]) {
        const encoder = await loadPairEncoder(dir, { prompt: 'encoder', maxLength });
        const encoded = await encoder.encodeBatch(cases);
        for (const [i, pair] of cases.entries()) {
          const expected = await libraryPair(pair.query, pair.document, maxLength);
          assert.deepEqual(encoded[i]!.inputIds, expected.getIds(), `case ${i} at ${maxLength}`);
          assert.deepEqual(encoded[i]!.tokenTypeIds, expected.getTypeIds(), `case ${i} at ${maxLength}`);
          assert.equal(encoded[i]!.inputIds.length, maxLength);
          assert.equal(encoded[i]!.truncated, true);
        }
      }
    });

    it('refuses a pair over the limit when truncation is off, naming its length', async () => {
      const encoder = await loadPairEncoder(dir, { prompt: 'encoder', maxLength: 64 });
      const short = { query: 'Explain gravity', document: 'The capital of China is Beijing.' };
      assert.equal((await encoder.encode(short, { truncate: false })).truncated, false);
      const long = { query: 'Explain gravity', document: longText.slice(0, 2000) };
      const fullLength = (await libraryPair(long.query, long.document)).getLength();
      await assert.rejects(encoder.encodeBatch([short, long], { truncate: false }), (err: unknown) => {
        assert.ok(err instanceof InvalidRequestError);
        assert.match(err.message, new RegExp(`${fullLength} tokens`));
        assert.match(err.message, /limit of 64 tokens/);
        return true;
      });
    });

    it('encodes empty queries and documents', async () => {
      const encoder = await loadPairEncoder(dir, { prompt: 'encoder' });
      const pairs = [
        { query: '', document: '' },
        { query: '', document: 'The capital of China is Beijing.' },
        { query: 'Explain gravity', document: '' },
      ];
      const encoded = await encoder.encodeBatch(pairs);
      for (const [i, pair] of pairs.entries()) {
        const expected = await libraryPair(pair.query, pair.document);
        assert.deepEqual(encoded[i]!.inputIds, expected.getIds());
        assert.deepEqual(encoded[i]!.tokenTypeIds, expected.getTypeIds());
        assert.equal(encoded[i]!.truncated, false);
      }
    });
  });
}
