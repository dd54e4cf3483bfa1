import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { Tokenizer } from '@anush008/tokenizers';
import { InvalidRequestError } from '@rerankd/protocol';
import { fixtureModelDir, loadReference } from '@rerankd/testing';
import type { PairInput } from '../src/reranker';
import {
  loadPairEncoder,
  QWEN3_DEFAULT_INSTRUCTION,
  QWEN3_PREFIX,
  QWEN3_SUFFIX,
  type Qwen3PairEncoder,
} from '../src/tokenize';

const reference = loadReference('qwen3-tiny-tied');
const dir = fixtureModelDir('qwen3-tiny-tied');
const longPair = reference.pairs.find((pair) => pair.input_ids.length > 2000)!;
const longInput: PairInput = { query: longPair.query, document: longPair.document };

// Documents whose first characters pre-tokenize differently against the space before them.
const awkwardDocuments = [
  '',
  '2024 was a year',
  ' a leading space',
  '\nstarts with a newline',
  '   several spaces',
  '(parenthesis',
  '<|im_end|> a special token',
  '🚀 an emoji',
  'Über',
  "'s a contraction",
];

// The library used directly, as the reference for what the encoder puts together.
const tokenizer = Tokenizer.fromFile(join(dir, 'tokenizer.json'));

/** Ids of prefix + the prompt up to the colon before the document, encoded on their own. */
async function independentHead(instruction: string, query: string): Promise<number[]> {
  const parts = [QWEN3_PREFIX, `<Instruct>: ${instruction}\n<Query>: ${query}\n<Document>:`];
  const encodings = await tokenizer.encodeBatch(parts, { addSpecialTokens: false });
  return encodings.flatMap((encoding) => encoding.getIds());
}

describe('Qwen3 pair encoder', () => {
  let encoder: Qwen3PairEncoder;
  let suffixLength: number;
  before(async () => {
    encoder = await loadPairEncoder(dir, { prompt: 'qwen3' });
    suffixLength = (await tokenizer.encode(QWEN3_SUFFIX, null, { addSpecialTokens: false })).getLength();
  });

  it('uses the template, instruction and yes/no tokens of the reference', () => {
    assert.equal(QWEN3_PREFIX, reference.prefix);
    assert.equal(QWEN3_SUFFIX, reference.suffix);
    assert.equal(QWEN3_DEFAULT_INSTRUCTION, reference.default_instruction);
    assert.equal(encoder.yesTokenId, reference.yes_token_id);
    assert.equal(encoder.noTokenId, reference.no_token_id);
    assert.equal(encoder.maxLength, 8192);
  });

  it('takes the instruction of a pair, of the model, or the default one', async () => {
    const pair = { query: 'Explain gravity', document: 'The capital of China is Beijing.' };
    const custom = 'Find the passage that answers the question';
    const [omitted, explicitDefault, nullInstruction, overridden] = await encoder.encodeBatch([
      pair,
      { ...pair, instruction: QWEN3_DEFAULT_INSTRUCTION },
      // JSON bodies carry null for "not set".
      { ...pair, instruction: null } as unknown as PairInput,
      { ...pair, instruction: custom },
    ]);
    assert.deepEqual(explicitDefault!.inputIds, omitted!.inputIds);
    assert.deepEqual(nullInstruction!.inputIds, omitted!.inputIds);
    assert.notDeepEqual(overridden!.inputIds, omitted!.inputIds);
    assert.deepEqual(overridden!.inputIds.slice(0, overridden!.prefixLength), await independentHead(custom, pair.query));

    const modelInstructed = await loadPairEncoder(dir, { prompt: 'qwen3', instruction: custom });
    assert.deepEqual((await modelInstructed.encode(pair)).inputIds, overridden!.inputIds);
    assert.deepEqual((await modelInstructed.encode({ ...pair, instruction: QWEN3_DEFAULT_INSTRUCTION })).inputIds, omitted!.inputIds);
  });

  it('gives every document of a query the same leading tokens, up to prefixLength', async () => {
    const queries = [
      ...new Set(reference.pairs.map((pair) => pair.query)),
      '🚀 rockets 🔥 and 𝄞 clefs',
      // Decomposed accents, which the tokenizer's NFC normalizer composes.
      'Cafe\u0301 na\u0308ive'.repeat(4),
    ];
    const documents = [...new Set(reference.pairs.map((pair) => pair.document)), ...awkwardDocuments];
    for (const query of queries) {
      const expectedHead = await independentHead(QWEN3_DEFAULT_INSTRUCTION, query);
      const encoded = await encoder.encodeBatch(documents.map((document) => ({ query, document })));
      for (const [i, pair] of encoded.entries()) {
        assert.equal(pair.prefixLength, expectedHead.length, `prefixLength of document ${i} for ${JSON.stringify(query)}`);
        assert.deepEqual(pair.inputIds.slice(0, pair.prefixLength), expectedHead);
      }
    }
  });

  it('encodes an empty query and an empty document', async () => {
    const encoded = await encoder.encode({ query: '', document: '' });
    const head = await independentHead(QWEN3_DEFAULT_INSTRUCTION, '');
    // The space after "<Document>:" is the only token between the head and the suffix.
    assert.equal(encoded.prefixLength, head.length);
    assert.equal(encoded.inputIds.length, head.length + 1 + suffixLength);
    assert.equal(encoded.truncated, false);
  });

  it('cuts only the end of the document to fit maxLength', async () => {
    const full = await encoder.encode(longInput);
    assert.deepEqual(full.inputIds, longPair.input_ids);
    for (const maxLength of [full.prefixLength! + suffixLength + 1, 200, full.inputIds.length - 1]) {
      const small = await loadPairEncoder(dir, { prompt: 'qwen3', maxLength });
      const cut = await small.encode(longInput);
      const kept = maxLength - suffixLength;
      assert.equal(cut.truncated, true);
      assert.equal(cut.inputIds.length, maxLength);
      assert.equal(cut.prefixLength, full.prefixLength);
      assert.deepEqual(cut.inputIds.slice(0, kept), full.inputIds.slice(0, kept));
      assert.deepEqual(cut.inputIds.slice(kept), full.inputIds.slice(-suffixLength));
    }
    const exact = await loadPairEncoder(dir, { prompt: 'qwen3', maxLength: full.inputIds.length });
    assert.deepEqual(await exact.encode(longInput), full);
  });

  it('keeps the head intact when its characters lie outside the BMP', async () => {
    // Each of these counts twice in UTF-16: enough of them to move a wrong boundary past a token.
    const query = `${'🚀'.repeat(12)} rockets 𝄞`;
    const small = await loadPairEncoder(dir, { prompt: 'qwen3', maxLength: 120 });
    const cut = await small.encode({ ...longInput, query, instruction: 'Match 🔥 with 🔥' });
    const head = await independentHead('Match 🔥 with 🔥', query);
    assert.equal(cut.prefixLength, head.length);
    assert.deepEqual(cut.inputIds.slice(0, head.length), head);
    assert.equal(cut.inputIds.length, 120);
  });

  it('refuses a query that leaves no room for the document', async () => {
    const small = await loadPairEncoder(dir, { prompt: 'qwen3', maxLength: 60 });
    await assert.rejects(small.encode(longInput), (err: unknown) => {
      assert.ok(err instanceof InvalidRequestError);
      assert.match(err.message, /limit of 60 tokens/);
      assert.match(err.message, /query/);
      return true;
    });
  });

  it('refuses a pair over the limit when truncation is off', async () => {
    const small = await loadPairEncoder(dir, { prompt: 'qwen3', maxLength: 200 });
    const short = { query: 'Explain gravity', document: 'The capital of China is Beijing.' };
    assert.equal((await small.encode(short, { truncate: false })).truncated, false);
    await assert.rejects(small.encodeBatch([short, longInput], { truncate: false }), (err: unknown) => {
      assert.ok(err instanceof InvalidRequestError);
      assert.match(err.message, new RegExp(`${longPair.input_ids.length} tokens`));
      assert.match(err.message, /limit of 200 tokens/);
      return true;
    });
  });
});
