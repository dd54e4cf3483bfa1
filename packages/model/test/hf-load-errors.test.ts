import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSync, closeSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ModelLoadError } from '@rerankd/protocol';
import { copyFixtureModel } from '@rerankd/testing';
import { loadHfModel } from '../src/hf';
import { editTensors } from './hf-safetensors-edit';

/** Loading `dir` fails with a ModelLoadError about `file` whose message matches `problem`. */
function assertLoadFails(dir: string, file: string, problem: RegExp): void {
  assert.throws(
    () => loadHfModel(dir),
    (err: unknown) => {
      assert.ok(err instanceof ModelLoadError, `expected ModelLoadError, got ${String(err)}`);
      assert.equal(err.file, file);
      assert.ok(err.message.startsWith(`${file}: `), err.message);
      assert.match(err.message, problem);
      return true;
    },
  );
}

test('unknown architecture', () => {
  const dir = copyFixtureModel('bert-tiny-ce');
  const file = join(dir, 'config.json');
  writeFileSync(file, readFileSync(file, 'utf8').replace('BertForSequenceClassification', 'DebertaV2ForSequenceClassification'));
  assertLoadFails(dir, file, /architecture DebertaV2ForSequenceClassification is not supported; supported: /);
});

test('missing config.json', () => {
  const dir = copyFixtureModel('xlmr-tiny-ce');
  rmSync(join(dir, 'config.json'));
  assertLoadFails(dir, join(dir, 'config.json'), /config\.json is missing/);
});

test('missing weight shard', () => {
  const dir = copyFixtureModel('qwen3-tiny-untied');
  const shard = join(dir, 'model-00002-of-00002.safetensors');
  rmSync(shard);
  assertLoadFails(dir, shard, /weight shard is missing \(listed in model\.safetensors\.index\.json\)/);
});

test('no weights at all', () => {
  const dir = copyFixtureModel('bert-tiny-ce');
  rmSync(join(dir, 'model.safetensors'));
  writeFileSync(join(dir, 'pytorch_model.bin'), '');
  assertLoadFails(dir, dir, /no model\.safetensors or model\.safetensors\.index\.json; pytorch_model\.bin .* not supported/);
});

test('truncated safetensors file (an interrupted download)', () => {
  const dir = copyFixtureModel('bert-tiny-ce');
  const file = join(dir, 'model.safetensors');
  truncateSync(file, statSync(file).size - 100);
  assertLoadFails(dir, file, /truncated: tensor classifier\.weight ends at byte \d+ but the file has only \d+ bytes/);
  truncateSync(file, 4);
  assertLoadFails(dir, file, /truncated: 4 bytes/);
});

test('tensor with the wrong shape', () => {
  const dir = copyFixtureModel('bert-tiny-ce');
  const file = join(dir, 'model.safetensors');
  editTensors(file, (tensors) => tensors.map((t) => (t.name === 'bert.pooler.dense.weight' ? { ...t, shape: [16, 64] } : t)));
  assertLoadFails(dir, file, /tensor bert\.pooler\.dense\.weight has shape \[16,64\], expected \[32,32\]/);
});

test('tensor with a non-float dtype', () => {
  const dir = copyFixtureModel('xlmr-tiny-ce');
  const file = join(dir, 'model.safetensors');
  editTensors(file, (tensors) => tensors.map((t) => (t.name === 'classifier.out_proj.weight' ? { ...t, dtype: 'I64', shape: [1, 16] } : t)));
  assertLoadFails(dir, file, /tensor classifier\.out_proj\.weight has dtype I64, expected a float dtype/);
});

test('missing tensor', () => {
  const dir = copyFixtureModel('bert-tiny-ce');
  const file = join(dir, 'model.safetensors');
  editTensors(file, (tensors) => tensors.filter((t) => t.name !== 'classifier.bias'));
  assertLoadFails(dir, file, /missing tensor classifier\.bias/);
});

test('header that is not valid JSON', () => {
  const dir = copyFixtureModel('bert-tiny-ce');
  const file = join(dir, 'model.safetensors');
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from('{"bert.embeddings'), 0, 17, 8 + 20);
  closeSync(fd);
  assertLoadFails(dir, file, /corrupt header: not valid JSON/);
});

test('header length beyond the end of the file', () => {
  const dir = copyFixtureModel('bert-tiny-ce');
  const file = join(dir, 'model.safetensors');
  const fd = openSync(file, 'r+');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(10_000_000n);
  writeSync(fd, length, 0, 8, 0);
  closeSync(fd);
  assertLoadFails(dir, file, /header length 10000000 does not fit in a file of \d+ bytes/);
});

test('overlapping data offsets', () => {
  const dir = copyFixtureModel('bert-tiny-ce');
  const file = join(dir, 'model.safetensors');
  // Point the second tensor's data back into the first one's.
  const bytes = readFileSync(file);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString()) as Record<string, { data_offsets: number[] }>;
  header['bert.embeddings.LayerNorm.weight']!.data_offsets = [64, 192];
  const json = JSON.stringify(header).padEnd(headerLength, ' ');
  assert.equal(json.length, headerLength);
  writeFileSync(file, Buffer.concat([bytes.subarray(0, 8), Buffer.from(json), bytes.subarray(8 + headerLength)]));
  assertLoadFails(dir, file, /corrupt header: tensor bert\.embeddings\.LayerNorm\.weight at data offset 64 overlaps the tensor before it/);
});

test('index naming a tensor its shard does not hold', () => {
  const dir = copyFixtureModel('qwen3-tiny-untied');
  const shard = join(dir, 'model-00002-of-00002.safetensors');
  editTensors(shard, ([lmHead]) => [{ ...lmHead!, name: 'lm_head.weight_renamed' }]);
  assertLoadFails(dir, shard, /tensor lm_head\.weight is listed in model\.safetensors\.index\.json but not stored in this shard/);
});
