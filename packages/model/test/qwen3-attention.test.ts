import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { fixtureModelDir } from '@rerankd/testing';
import { compileGraph, type CompiledGraph, type CompileOptions } from '../src/graph/compile';
import { pastKeyName, pastValueName } from '../src/graph/kv-names';
import type { Qwen3Config } from '../src/hf/config';
import { loadHfModel } from '../src/hf/load';
import { buildFeeds } from '../src/runner/feeds';

const { onnx } = onnxProto;

// CPU graphs run each attention in query chunks; CUDA graphs keep one Attention node per layer.
// Both are run here on the CPU, so the CUDA graph stays correct too.
describe('Qwen3 attention on the CPU and on CUDA', () => {
  const { config, weights } = loadHfModel(fixtureModelDir('qwen3-tiny-tied'));
  const c = config as Qwen3Config;
  const compile = (options: Partial<CompileOptions>) => compileGraph(config, weights, { maxPositions: 64, headTokenIds: [9693, 2152], ...options });
  const opTypes = (graph: CompiledGraph) => (onnx.ModelProto.decode(readFileSync(graph.modelPath)).graph?.node ?? []).map((n) => n.opType);
  const graphs: CompiledGraph[] = [];
  let cpu: CompiledGraph;
  let cuda: CompiledGraph;
  before(() => {
    cpu = compile({ device: 'cpu' });
    cuda = compile({ device: 'cuda:0' });
    graphs.push(cpu, cuda);
  });
  after(() => graphs.forEach((g) => g.remove()));

  test('neither graph transposes: attention reads the projections as they come', () => {
    assert.equal(opTypes(cpu).filter((op) => op === 'Transpose').length, 0);
    assert.equal(opTypes(cuda).filter((op) => op === 'Transpose').length, 0);
  });

  test('the CPU graph runs attention in query chunks and says how short an input may be', () => {
    assert.equal(cpu.minSequenceLength, 4);
    assert.equal(opTypes(cpu).filter((op) => op === 'Attention').length, cpu.minSequenceLength * c.numLayers);
    assert.equal(cuda.minSequenceLength, 1);
    assert.equal(opTypes(cuda).filter((op) => op === 'Attention').length, c.numLayers);
  });

  test('projections of one input are never split; in int8 they share their quantized activations', () => {
    assert.equal(opTypes(cpu).filter((op) => op === 'Split').length, 0);
    const int8 = compile({ quantization: 'int8' });
    graphs.push(int8);
    const ops = opTypes(int8);
    assert.equal(ops.filter((op) => op === 'Split').length, 0);
    // One quantization of the attention input (q, k, v) and one of the MLP input (gate, up) per layer.
    assert.equal(ops.filter((op) => op === 'DynamicQuantizeLinear').length, 2 * c.numLayers);
    assert.equal(ops.filter((op) => op === 'MatMulIntegerToFloat').length, 5 * c.numLayers);
  });

  test('chunked and one-node attention give the same logits and present KV, with and without a cached prefix', async () => {
    const [cpuSession, cudaSession] = await Promise.all([ort.InferenceSession.create(cpu.modelPath), ort.InferenceSession.create(cuda.modelPath)]);
    try {
      for (const pastLength of [0, 5]) {
        const feeds = qwen3Feeds(c, pastLength, [11, 4]);
        const [a, b] = await Promise.all([cpuSession.run(feeds), cudaSession.run(feeds)]);
        for (const name of cpuSession.outputNames) {
          const x = a[name]?.data as Float32Array;
          const y = b[name]?.data as Float32Array;
          assert.deepEqual(a[name]?.dims, b[name]?.dims, name);
          const diff = Math.max(...x.map((v, i) => Math.abs(v - (y[i] as number))));
          assert.ok(diff < 1e-5, `${name} (past ${pastLength}): max |Δ| ${diff}`);
        }
      }
    } finally {
      await Promise.all([cpuSession.release(), cudaSession.release()]);
    }
  });

  test('inputs shorter than the chunks are padded by the feeds and score as unpadded ones', async () => {
    const [cpuSession, cudaSession] = await Promise.all([ort.InferenceSession.create(cpu.modelPath), ort.InferenceSession.create(cuda.modelPath)]);
    try {
      const past = qwen3Feeds(c, 5, [1]);
      const rows = [{ inputIds: [17, 23], startPosition: 5 }, { inputIds: [31], startPosition: 5 }];
      const padded = { ...past, ...buildFeeds(rows, { kind: 'decoder', minSequenceLength: cpu.minSequenceLength }) };
      assert.deepEqual(padded.input_ids?.dims, [2, cpu.minSequenceLength]);
      const [a, b] = await Promise.all([cpuSession.run(padded, ['logits']), cudaSession.run({ ...past, ...buildFeeds(rows, { kind: 'decoder' }) }, ['logits'])]);
      const x = a.logits?.data as Float32Array;
      const y = b.logits?.data as Float32Array;
      assert.ok(Math.max(...x.map((v, i) => Math.abs(v - (y[i] as number)))) < 1e-5);
    } finally {
      await Promise.all([cpuSession.release(), cudaSession.release()]);
    }
  });
});

/** Right-padded rows of the given lengths after a shared past of `pastLength` random KV entries. */
function qwen3Feeds(c: Qwen3Config, pastLength: number, lengths: number[]): Record<string, ort.Tensor> {
  const seq = Math.max(...lengths);
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const ids = lengths.flatMap((n) => Array.from({ length: seq }, (_, i) => (i < n ? BigInt(1 + ((i * 37) % 500)) : 0n)));
  const positions = lengths.flatMap(() => Array.from({ length: seq }, (_, i) => BigInt(pastLength + i)));
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(ids), [lengths.length, seq]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from(positions), [lengths.length, seq]),
    last_index: new ort.Tensor('int64', BigInt64Array.from(lengths.map((n, b) => BigInt(b * seq + n - 1))), [lengths.length]),
  };
  const kvShape = [1, c.numKvHeads, pastLength, c.headDim];
  const kvSize = c.numKvHeads * pastLength * c.headDim;
  for (let l = 0; l < c.numLayers; l++) {
    feeds[pastKeyName(l)] = new ort.Tensor('float32', Float32Array.from({ length: kvSize }, random), kvShape);
    feeds[pastValueName(l)] = new ort.Tensor('float32', Float32Array.from({ length: kvSize }, random), kvShape);
  }
  return feeds;
}
