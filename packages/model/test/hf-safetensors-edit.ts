// Test helper: rewrite safetensors files tensor by tensor to build broken or renamed checkpoints.
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import { readSafetensorsHeader } from '../src/hf/safetensors';

export interface RawTensor {
  name: string;
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

export function readRawTensors(file: string): RawTensor[] {
  const fd = openSync(file, 'r');
  try {
    return readSafetensorsHeader(file).map(({ name, dtype, shape, byteOffset, byteLength }) => {
      const data = new Uint8Array(byteLength);
      readSync(fd, data, 0, byteLength, byteOffset);
      return { name, dtype, shape, data };
    });
  } finally {
    closeSync(fd);
  }
}

/** Writes tensors back to back after a space-padded JSON header, as the safetensors library does. */
export function writeRawTensors(file: string, tensors: RawTensor[]): void {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.length] };
    offset += t.data.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(file, Buffer.concat([length, Buffer.from(json), ...tensors.map((t) => t.data)]));
}

export function editTensors(file: string, edit: (tensors: RawTensor[]) => RawTensor[]): void {
  writeRawTensors(file, edit(readRawTensors(file)));
}
