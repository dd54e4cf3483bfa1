import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureModelDir, makeTempDir } from '@rerankd/testing';
import { ModelWeights, readSafetensorsHeader } from '../src/hf';
import { halfToFloatBits } from '../src/hf/float-decode';
import { writeRawTensors } from './hf-safetensors-edit';

function rawBytes(file: string, position: number, length: number): Uint8Array {
  const fd = openSync(file, 'r');
  try {
    const bytes = new Uint8Array(length);
    readSync(fd, bytes, 0, length, position);
    return bytes;
  } finally {
    closeSync(fd);
  }
}

function halfToFloat(half: number): number {
  return new Float32Array(new Uint32Array([halfToFloatBits(half)]).buffer)[0]!;
}

test('a single-file checkpoint lists exactly the tensors its header promises', () => {
  const dir = fixtureModelDir('qwen3-tiny-tied');
  const header = readSafetensorsHeader(join(dir, 'model.safetensors'));
  const weights = ModelWeights.open(dir);
  assert.deepEqual(weights.names().sort(), header.map((t) => t.name).sort());
  for (const entry of header) {
    assert.deepEqual(weights.info(entry.name), { dtype: 'BF16', shape: entry.shape, file: entry.file, storedName: entry.name });
  }
  assert.equal(weights.float32('model.layers.0.mlp.down_proj.weight', [32, 64]).length, 32 * 64);
});

test('a sharded checkpoint reads each tensor from the shard the index names', () => {
  const dir = fixtureModelDir('qwen3-tiny-untied');
  const weights = ModelWeights.open(dir);
  assert.equal(weights.names().length, 25);
  assert.equal(weights.info('lm_head.weight').file, join(dir, 'model-00002-of-00002.safetensors'));
  assert.equal(weights.info('model.norm.weight').file, join(dir, 'model-00001-of-00002.safetensors'));
  assert.equal(weights.source, join(dir, 'model.safetensors.index.json'));
  assert.deepEqual(weights.info('lm_head.weight').shape, [151669, 24]);
});

test('bf16 decodes to the upper half of a float32, checked by hand', () => {
  const dir = fixtureModelDir('qwen3-tiny-untied');
  const [entry] = readSafetensorsHeader(join(dir, 'model-00001-of-00002.safetensors')).filter((t) => t.name === 'model.norm.weight');
  const [lo, hi] = rawBytes(entry!.file, entry!.byteOffset, 2);
  // 0x3f87: sign 0, exponent 0x7f (2^0), mantissa 0x07 → 1 + 7/128.
  assert.deepEqual([hi, lo], [0x3f, 0x87]);
  assert.equal(ModelWeights.open(dir).float32('model.norm.weight')[0], 1 + 7 / 128);
});

test('f16 decodes exactly, including subnormals, infinities and NaN', () => {
  assert.equal(halfToFloat(0x3c00), 1);
  assert.equal(halfToFloat(0xc000), -2);
  assert.equal(halfToFloat(0x3555), 0.333251953125);
  assert.equal(halfToFloat(0x7bff), 65504);
  assert.equal(halfToFloat(0x0400), 2 ** -14);
  assert.equal(halfToFloat(0x0001), 2 ** -24);
  assert.equal(halfToFloat(0x03ff), 1023 * 2 ** -24);
  assert.equal(halfToFloat(0x8001), -(2 ** -24));
  assert.ok(Object.is(halfToFloat(0x8000), -0));
  assert.equal(halfToFloat(0x7c00), Infinity);
  assert.equal(halfToFloat(0xfc00), -Infinity);
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
});

test('F32, F16 and BF16 tensors of one file all read back as float32', () => {
  const dir = makeTempDir('dtypes');
  const f16 = new Uint16Array([0x3c00, 0xc000, 0x0001, 0x7c00]);
  const bf16 = new Uint16Array([0x3f80, 0xc040, 0x3f87, 0xff80]);
  const f32 = new Float32Array([0.1, -3.5, 1e-30, 7]);
  writeRawTensors(join(dir, 'model.safetensors'), [
    { name: 'half', dtype: 'F16', shape: [2, 2], data: new Uint8Array(f16.buffer) },
    { name: 'brain', dtype: 'BF16', shape: [4], data: new Uint8Array(bf16.buffer) },
    { name: 'single', dtype: 'F32', shape: [4, 1], data: new Uint8Array(f32.buffer) },
  ]);
  const weights = ModelWeights.open(dir);
  assert.deepEqual([...weights.float32('half')], [1, -2, 2 ** -24, Infinity]);
  assert.deepEqual([...weights.float32('brain')], [1, -3, 1 + 7 / 128, -Infinity]);
  assert.deepEqual(weights.float32('single', [4, 1]), f32);
});

test('rows and slices read only their part and agree with the whole tensor', () => {
  const weights = ModelWeights.open(fixtureModelDir('qwen3-tiny-untied'));
  const gate = weights.float32('model.layers.1.mlp.gate_proj.weight'); // [72, 24]
  const rows = weights.rowsFloat32('model.layers.1.mlp.gate_proj.weight', [70, 3]);
  assert.deepEqual(rows, Float32Array.from([...gate.subarray(70 * 24, 71 * 24), ...gate.subarray(3 * 24, 4 * 24)]));
  assert.deepEqual(weights.sliceFloat32('model.layers.1.mlp.gate_proj.weight', 0, 36, 72), gate.subarray(36 * 24));
  const columns = weights.sliceFloat32('model.layers.1.mlp.gate_proj.weight', 1, 8, 16);
  assert.equal(columns.length, 72 * 8);
  for (let row = 0; row < 72; row++) assert.deepEqual(columns.subarray(row * 8, row * 8 + 8), gate.subarray(row * 24 + 8, row * 24 + 16));
  // Two vocabulary rows of the lm_head, without reading its 151669 × 24 values.
  const yesNo = weights.rowsFloat32('lm_head.weight', [9693, 2152]);
  assert.equal(yesNo.length, 2 * 24);
  assert.deepEqual(yesNo.subarray(0, 24), weights.sliceFloat32('lm_head.weight', 0, 9693, 9694));
  assert.throws(() => weights.rowsFloat32('lm_head.weight', [151669]), RangeError);
});
