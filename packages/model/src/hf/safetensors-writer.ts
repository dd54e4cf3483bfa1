import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setFloat16 } from '@petamoriken/float16';
import type { FloatDtype } from './float-decode';
import { SINGLE_WEIGHTS_FILE, WEIGHTS_INDEX_FILE } from './weights';

/** One tensor to write. Its values are float32 in row-major order, converted to `dtype` on the way out. */
export interface TensorToWrite {
  name: string;
  dtype: FloatDtype;
  shape: readonly number[];
  /**
   * The whole tensor, or its values in consecutive chunks of any size, pulled one at a time while
   * writing so that a large tensor never has to sit in memory at once. A chunk may be reused by
   * its producer once the next one is asked for.
   */
  values: Float32Array | Iterable<Float32Array>;
}

export interface ModelWeightsFiles {
  /** File names written in the directory, shards first, then the index if there is one. */
  files: string[];
  /** Bytes of tensor data, as `total_size` in the index counts them. */
  totalSize: number;
}

const DTYPE_BYTES: Record<FloatDtype, number> = { F32: 4, F16: 2, BF16: 2 };

// The safetensors library lays tensors out by dtype (in the descending order of its enum:
// F32, BF16, F16) and then by name; following it makes the files byte-comparable to real ones.
const DTYPE_ORDER: Record<FloatDtype, number> = { F32: 0, BF16: 1, F16: 2 };

function tensorByteLength(tensor: Pick<TensorToWrite, 'dtype' | 'shape'>): number {
  return elementCount(tensor.shape) * DTYPE_BYTES[tensor.dtype];
}

/**
 * Writes one .safetensors file: an 8-byte little-endian header length, a JSON header
 * (`__metadata__` {format: pt}, then dtype, shape and data_offsets per tensor) padded with
 * spaces to a multiple of 8 bytes, then the tensors back to back. Streams tensor by tensor.
 */
export async function writeSafetensors(file: string, tensors: readonly TensorToWrite[]): Promise<void> {
  const ordered = [...tensors].sort(
    (a, b) => DTYPE_ORDER[a.dtype] - DTYPE_ORDER[b.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  const header = encodeHeader(ordered);
  await pipeline(function* () {
    yield header;
    for (const tensor of ordered) yield* encodeValues(tensor);
  }, createWriteStream(file));
}

/**
 * Writes a model's weights into `dir` the way Hugging Face saves them: one model.safetensors,
 * or, when they exceed `maxShardBytes`, shards `model-0000N-of-0000M.safetensors` filled in the
 * given (state-dict) order plus model.safetensors.index.json mapping each tensor to its shard.
 */
export async function writeModelSafetensors(
  dir: string,
  tensors: readonly TensorToWrite[],
  options: { maxShardBytes?: number } = {},
): Promise<ModelWeightsFiles> {
  const totalSize = tensors.reduce((sum, tensor) => sum + tensorByteLength(tensor), 0);
  const shards = options.maxShardBytes === undefined ? [tensors] : splitIntoShards(tensors, options.maxShardBytes);
  if (shards.length === 1) {
    await writeSafetensors(join(dir, SINGLE_WEIGHTS_FILE), tensors);
    return { files: [SINGLE_WEIGHTS_FILE], totalSize };
  }
  const files: string[] = [];
  const weightMap: Record<string, string> = {};
  for (const [i, shard] of shards.entries()) {
    const file = `model-${shardNumber(i + 1)}-of-${shardNumber(shards.length)}.safetensors`;
    await writeSafetensors(join(dir, file), shard);
    for (const tensor of shard) weightMap[tensor.name] = file;
    files.push(file);
  }
  const sortedMap = Object.fromEntries(Object.entries(weightMap).sort(([a], [b]) => (a < b ? -1 : 1)));
  const index = { metadata: { total_size: totalSize }, weight_map: sortedMap };
  await writeFile(join(dir, WEIGHTS_INDEX_FILE), `${JSON.stringify(index, null, 2)}\n`);
  return { files: [...files, WEIGHTS_INDEX_FILE], totalSize };
}

/** IEEE 754 float32 → bfloat16 bit pattern, rounding to nearest even; NaN stays a (quiet) NaN. */
function float32BitsToBfloat16Bits(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) | 0x40) & 0xffff;
  return ((bits >>> 0) + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
}

/** Hugging Face's split: a new shard starts when the next tensor would overflow the current one. */
function splitIntoShards(tensors: readonly TensorToWrite[], maxShardBytes: number): TensorToWrite[][] {
  if (!(maxShardBytes > 0)) throw new RangeError(`maxShardBytes must be positive, got ${maxShardBytes}`);
  const shards: TensorToWrite[][] = [];
  let current: TensorToWrite[] = [];
  let currentBytes = 0;
  for (const tensor of tensors) {
    const bytes = tensorByteLength(tensor);
    if (current.length > 0 && currentBytes + bytes > maxShardBytes) {
      shards.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(tensor);
    currentBytes += bytes;
  }
  if (current.length > 0) shards.push(current);
  return shards;
}

function shardNumber(n: number): string {
  return String(n).padStart(5, '0');
}

function encodeHeader(ordered: readonly TensorToWrite[]): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const tensor of ordered) {
    if (Object.hasOwn(header, tensor.name)) throw new Error(`duplicate tensor name ${tensor.name}`);
    const end = offset + tensorByteLength(tensor);
    header[tensor.name] = { dtype: tensor.dtype, shape: [...tensor.shape], data_offsets: [offset, end] };
    offset = end;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Buffer.alloc(8 + Math.ceil(json.length / 8) * 8, ' ');
  padded.writeBigUInt64LE(BigInt(padded.length - 8), 0);
  json.copy(padded, 8);
  return padded;
}

/** The tensor's bytes in `dtype`, chunk by chunk; each yielded buffer is freshly allocated. */
function* encodeValues(tensor: TensorToWrite): Generator<Uint8Array> {
  const expected = elementCount(tensor.shape);
  const chunks = tensor.values instanceof Float32Array ? [tensor.values] : tensor.values;
  let written = 0;
  for (const chunk of chunks) {
    written += chunk.length;
    if (written > expected) break;
    yield encodeChunk(tensor.dtype, chunk);
  }
  if (written !== expected) {
    throw new Error(`tensor ${tensor.name} of shape [${tensor.shape.join(', ')}] needs ${expected} values, got ${written}${written > expected ? ' or more' : ''}`);
  }
}

// Typed-array views use host byte order, which is little-endian on every platform Node runs on.
function encodeChunk(dtype: FloatDtype, values: Float32Array): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  const out = new Uint16Array(values.length);
  if (dtype === 'BF16') {
    const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
    for (let i = 0; i < bits.length; i++) out[i] = float32BitsToBfloat16Bits(bits[i]!);
  } else {
    const view = new DataView(out.buffer);
    for (let i = 0; i < values.length; i++) setFloat16(view, i * 2, values[i]!, true);
  }
  return new Uint8Array(out.buffer);
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}
