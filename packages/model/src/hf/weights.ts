import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ModelLoadError } from '@rerankd/protocol';
import { decodeFloats, isFloatDtype } from './float-decode';
import { readExactly, readSafetensorsHeader, type TensorEntry } from './safetensors';

export const SINGLE_WEIGHTS_FILE = 'model.safetensors';
export const WEIGHTS_INDEX_FILE = 'model.safetensors.index.json';

export interface TensorInfo {
  dtype: string;
  shape: number[];
  /** The .safetensors file holding it. */
  file: string;
  /** Its name inside that file, when the checkpoint spells it differently from the canonical name. */
  storedName: string;
}

export interface OpenWeightsOptions {
  /** Maps a name as stored to the name callers use (e.g. adds a missing `model.` prefix). */
  canonicalName?: (storedName: string) => string;
}

/** A contiguous run of elements of one tensor, in elements from its start. */
type Segment = { start: number; count: number };

// Bytes read per readSync: bounds the scratch memory however large the tensor.
const CHUNK_BYTES = 16 * 1024 * 1024;

/**
 * The tensors of a model directory (one model.safetensors, or shards named by
 * model.safetensors.index.json). Opening reads only headers; tensor data is read on demand,
 * and only the bytes a call asks for.
 */
export class ModelWeights {
  private constructor(
    /** The file that lists the tensors: model.safetensors or the shard index. */
    readonly source: string,
    private readonly tensors: Map<string, TensorEntry>,
  ) {}

  static open(dir: string, options: OpenWeightsOptions = {}): ModelWeights {
    const canonical = options.canonicalName ?? ((name: string) => name);
    const { source, entries } = weightEntries(dir);
    const tensors = new Map<string, TensorEntry>();
    for (const entry of entries) {
      const name = canonical(entry.name);
      const clash = tensors.get(name);
      if (clash) {
        throw new ModelLoadError(entry.file, `tensor ${entry.name} duplicates ${clash.name} in ${basename(clash.file)} (both are ${name})`);
      }
      tensors.set(name, entry);
    }
    return new ModelWeights(source, tensors);
  }

  names(): string[] {
    return [...this.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  info(name: string): TensorInfo {
    const { dtype, shape, file, name: storedName } = this.entry(name);
    return { dtype, shape: [...shape], file, storedName };
  }

  /** The whole tensor, decoded; with `expectedShape`, a different shape is a load error. */
  float32(name: string, expectedShape?: number[]): Float32Array {
    const entry = this.entry(name);
    if (expectedShape && !sameShape(entry.shape, expectedShape)) {
      throw new ModelLoadError(entry.file, `tensor ${entry.name} has shape ${formatShape(entry.shape)}, expected ${formatShape(expectedShape)}`);
    }
    return this.read(entry, [{ start: 0, count: elementCount(entry.shape) }]);
  }

  /** Rows (indices along axis 0) in the order given, e.g. the 2 vocabulary rows a reranker scores. */
  rowsFloat32(name: string, rows: number[]): Float32Array {
    const entry = this.entry(name);
    const rowSize = elementCount(entry.shape.slice(1));
    return this.read(
      entry,
      rows.map((row) => {
        checkRange(entry, 0, row, row + 1);
        return { start: row * rowSize, count: rowSize };
      }),
    );
  }

  /** Elements [start, end) along `axis`, all of the other axes: one tensor-parallel shard. */
  sliceFloat32(name: string, axis: 0 | 1, start: number, end: number): Float32Array {
    const entry = this.entry(name);
    checkRange(entry, axis, start, end);
    const [rows = 1, cols = 1] = entry.shape;
    const inner = elementCount(entry.shape.slice(2));
    if (axis === 0) return this.read(entry, [{ start: start * cols * inner, count: (end - start) * cols * inner }]);
    // Axis 1 is strided: one read per row, of only that row's share.
    const segments: Segment[] = [];
    for (let row = 0; row < rows; row++) segments.push({ start: (row * cols + start) * inner, count: (end - start) * inner });
    return this.read(entry, segments);
  }

  private entry(name: string): TensorEntry {
    const entry = this.tensors.get(name);
    if (!entry) throw new ModelLoadError(this.source, `missing tensor ${name}`);
    return entry;
  }

  private read(entry: TensorEntry, segments: Segment[]): Float32Array {
    const { dtype } = entry;
    if (!isFloatDtype(dtype)) throw new ModelLoadError(entry.file, `tensor ${entry.name} has dtype ${dtype}, expected a float dtype (F32, F16 or BF16)`);
    const itemBytes = dtype === 'F32' ? 4 : 2;
    const out = new Float32Array(segments.reduce((sum, s) => sum + s.count, 0));
    const scratch = new Uint8Array(Math.min(CHUNK_BYTES, out.length * itemBytes));
    let fd: number | undefined;
    try {
      fd = openSync(entry.file, 'r');
      let outIndex = 0;
      for (const segment of segments) {
        const chunkElements = Math.floor(scratch.length / itemBytes);
        for (let done = 0; done < segment.count; done += chunkElements) {
          const count = Math.min(chunkElements, segment.count - done);
          const bytes = readExactly(fd, entry.byteOffset + (segment.start + done) * itemBytes, count * itemBytes, scratch.subarray(0, count * itemBytes));
          decodeFloats(dtype, bytes, out, outIndex);
          outIndex += count;
        }
      }
    } catch (err) {
      throw new ModelLoadError(entry.file, `cannot read tensor ${entry.name}: ${(err as Error).message}`);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    return out;
  }
}

/** Every tensor of the directory, with the file that holds it. */
function weightEntries(dir: string): { source: string; entries: TensorEntry[] } {
  const indexFile = join(dir, WEIGHTS_INDEX_FILE);
  if (existsSync(indexFile)) return { source: indexFile, entries: shardedEntries(dir, indexFile) };
  const single = join(dir, SINGLE_WEIGHTS_FILE);
  if (existsSync(single)) return { source: single, entries: readSafetensorsHeader(single) };
  const hint = existsSync(join(dir, 'pytorch_model.bin')) ? '; pytorch_model.bin checkpoints are not supported, convert them to safetensors' : '';
  throw new ModelLoadError(dir, `no ${SINGLE_WEIGHTS_FILE} or ${WEIGHTS_INDEX_FILE}${hint}`);
}

function shardedEntries(dir: string, indexFile: string): TensorEntry[] {
  const weightMap = readWeightMap(indexFile);
  const byShard = new Map<string, string[]>();
  for (const [tensor, shard] of Object.entries(weightMap)) byShard.set(shard, [...(byShard.get(shard) ?? []), tensor]);
  const entries: TensorEntry[] = [];
  for (const [shard, listed] of byShard) {
    const file = join(dir, shard);
    if (!existsSync(file)) throw new ModelLoadError(file, `weight shard is missing (listed in ${WEIGHTS_INDEX_FILE})`);
    const shardEntries = readSafetensorsHeader(file);
    const stored = new Set(shardEntries.map((e) => e.name));
    const absent = listed.find((tensor) => !stored.has(tensor));
    if (absent) throw new ModelLoadError(file, `tensor ${absent} is listed in ${WEIGHTS_INDEX_FILE} but not stored in this shard`);
    entries.push(...shardEntries);
  }
  return entries;
}

function readWeightMap(indexFile: string): Record<string, string> {
  let index: unknown;
  try {
    index = JSON.parse(readFileSync(indexFile, 'utf8'));
  } catch (err) {
    throw new ModelLoadError(indexFile, `not valid JSON: ${(err as Error).message}`);
  }
  const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null) throw new ModelLoadError(indexFile, 'no "weight_map" object');
  for (const [tensor, shard] of Object.entries(weightMap)) {
    // Shards live beside the index: a path elsewhere is a broken (or hostile) index.
    if (typeof shard !== 'string' || basename(shard) !== shard || !shard.endsWith('.safetensors')) {
      throw new ModelLoadError(indexFile, `tensor ${tensor} maps to ${JSON.stringify(shard)}, not a .safetensors file beside the index`);
    }
  }
  return weightMap as Record<string, string>;
}

function checkRange(entry: TensorEntry, axis: number, start: number, end: number): void {
  const size = entry.shape[axis];
  if (size === undefined || !Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > size || start >= end) {
    throw new RangeError(`tensor ${entry.name} ${formatShape(entry.shape)}: [${start}, ${end}) is not a range of axis ${axis}`);
  }
}

function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

export function formatShape(shape: number[]): string {
  return `[${shape.join(',')}]`;
}
