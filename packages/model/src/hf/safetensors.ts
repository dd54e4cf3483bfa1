import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ModelLoadError } from '@rerankd/protocol';

/** Bytes per element of every dtype the safetensors format defines. */
const DTYPE_BYTES: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, F8_E4M3: 1, F8_E5M2: 1,
  I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1,
};

/** Where one tensor lies: `byteOffset` is absolute within `file`. */
export interface TensorEntry {
  name: string;
  dtype: string;
  shape: number[];
  file: string;
  byteOffset: number;
  byteLength: number;
}

// The reference implementation refuses headers above 100 MB; a larger length means a corrupt file.
const MAX_HEADER_BYTES = 100_000_000;

/**
 * Reads and checks the header of one .safetensors file without touching its tensor data:
 * every tensor must lie inside the file, and the tensors must tile the data section exactly.
 */
export function readSafetensorsHeader(file: string): TensorEntry[] {
  const fd = openSafetensors(file);
  try {
    const fileSize = fstatSync(fd).size;
    if (fileSize < 8) throw new ModelLoadError(file, `truncated: ${fileSize} bytes, too short for a safetensors header`);
    const lengthBytes = readExactly(fd, 0, 8);
    const headerLength = Number(Buffer.from(lengthBytes).readBigUInt64LE(0));
    if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > fileSize) {
      throw new ModelLoadError(file, `corrupt or truncated: header length ${headerLength} does not fit in a file of ${fileSize} bytes`);
    }
    const header = parseHeaderJson(file, readExactly(fd, 8, headerLength));
    const dataStart = 8 + headerLength;
    const entries = Object.entries(header)
      .filter(([name]) => name !== '__metadata__')
      .map(([name, value]) => toEntry(file, name, value, dataStart));
    checkTiling(file, entries, fileSize - dataStart, dataStart);
    return entries;
  } finally {
    closeSync(fd);
  }
}

function openSafetensors(file: string): number {
  try {
    return openSync(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ModelLoadError(file, code === 'ENOENT' ? 'weight file is missing' : `cannot open weight file (${code ?? String(err)})`);
  }
}

/** Reads `length` bytes at `position`; a short read means the file ended early. */
export function readExactly(fd: number, position: number, length: number, into = new Uint8Array(length)): Uint8Array {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, into, done, length - done, position + done);
    if (n === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += n;
  }
  return into;
}

function parseHeaderJson(file: string, bytes: Uint8Array): Record<string, unknown> {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new ModelLoadError(file, `corrupt header: not valid JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new ModelLoadError(file, 'corrupt header: not a JSON object');
  }
  return header as Record<string, unknown>;
}

function toEntry(file: string, name: string, value: unknown, dataStart: number): TensorEntry {
  const { dtype, shape, data_offsets: offsets } = (value ?? {}) as Record<string, unknown>;
  const itemBytes = typeof dtype === 'string' ? DTYPE_BYTES[dtype] : undefined;
  if (typeof dtype !== 'string' || itemBytes === undefined) throw new ModelLoadError(file, `tensor ${name} has unknown dtype ${JSON.stringify(dtype)}`);
  if (!isIntArray(shape)) throw new ModelLoadError(file, `tensor ${name} has an invalid shape ${JSON.stringify(shape)}`);
  if (!isIntArray(offsets) || offsets.length !== 2 || offsets[0]! > offsets[1]!) {
    throw new ModelLoadError(file, `tensor ${name} has invalid data_offsets ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  const expectedBytes = shape.reduce((a, b) => a * b, 1) * itemBytes;
  if (end - begin !== expectedBytes) {
    throw new ModelLoadError(file, `tensor ${name} spans ${end - begin} bytes but ${dtype}${JSON.stringify(shape)} needs ${expectedBytes}`);
  }
  return { name, dtype, shape, file, byteOffset: dataStart + begin, byteLength: end - begin };
}

function isIntArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((n) => Number.isSafeInteger(n) && n >= 0);
}

function checkTiling(file: string, entries: TensorEntry[], dataBytes: number, dataStart: number): void {
  const ordered = [...entries].sort((a, b) => a.byteOffset - b.byteOffset || a.byteLength - b.byteLength);
  const fileEnd = dataStart + dataBytes;
  let cursor = dataStart;
  for (const entry of ordered) {
    if (entry.byteOffset !== cursor) {
      const what = entry.byteOffset < cursor ? 'overlaps the tensor before it' : 'leaves a gap before it';
      throw new ModelLoadError(file, `corrupt header: tensor ${entry.name} at data offset ${entry.byteOffset - dataStart} ${what}`);
    }
    cursor += entry.byteLength;
    if (cursor > fileEnd) {
      throw new ModelLoadError(file, `truncated: tensor ${entry.name} ends at byte ${cursor} but the file has only ${fileEnd} bytes`);
    }
  }
  if (cursor < fileEnd) throw new ModelLoadError(file, `corrupt: ${fileEnd - cursor} bytes after the last tensor`);
}
