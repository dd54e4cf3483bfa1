/**
 * GPU throughput of the engine's model step on a Qwen3-Reranker-shaped model, in the workloads
 * anchor_transformers.py measures in the same call: B×L = 64×320 (and 128×320) with random token
 * ids, and a mixed-length workload (256 pairs, lengths uniform in 100–600) batched two ways:
 * in arrival order padded to each batch's longest (as the anchor does) and by the engine's
 * length-sorting planner. A step is what a worker does per batch: build the int64 feeds, copy
 * them in, run the graph, read the [B,2] logits back. Then the serving path end to end
 * (tokenizer, prompt, scheduler, prefix cache) on one query with many documents (--e2e-dtypes).
 * One JSON line per measurement on stdout
 * (and --out). Bundled as dist/bench-gpu.mjs (scripts/bundle.mjs); see scripts/gpu/README.md.
 *   node dist/bench-gpu.mjs --model /tmp/q06 --dtypes float16,bfloat16 --out bench.jsonl
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DeviceError } from '../../packages/protocol/src/errors';
import { compileGraph } from '../../packages/model/src/graph/compile';
import { GraphBuilder } from '../../packages/model/src/graph/onnx-builder';
import { isDtypeChoice, type ComputeDtype } from '../../packages/model/src/graph/precision';
import { loadHfModel } from '../../packages/model/src/hf/load';
import { loadReranker } from '../../packages/model/src/load-reranker';
import type { PairInput } from '../../packages/model/src/reranker';
import { buildFeeds, type SequenceInput } from '../../packages/model/src/runner/feeds';
import { parseDevice } from '../../packages/model/src/runtime/device';
import { createSession, ort, type SessionOptions } from '../../packages/model/src/runtime/session';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' },
    device: { type: 'string', default: 'cuda:0' },
    dtypes: { type: 'string', default: 'float16,bfloat16' },
    batches: { type: 'string', default: '64,128' },
    len: { type: 'string', default: '320' },
    'mixed-pairs': { type: 'string', default: '256' },
    'mixed-min': { type: 'string', default: '100' },
    'mixed-max': { type: 'string', default: '600' },
    'mixed-batch': { type: 'string', default: '64' },
    iters: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
    'budget-s': { type: 'string', default: '240' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string' },
    'lengths-out': { type: 'string' },
    'e2e-dtypes': { type: 'string', default: 'float16' },
    'e2e-pairs': { type: 'string', default: '256' },
  },
});
if (!args.model) throw new Error('--model <dir> is required (e.g. rerankd make-random-model --like qwen3-reranker-0.6b --out /tmp/q06)');
const modelDir = args.model;
const device = parseDevice(args.device);
const num = (name: keyof typeof args) => Number(args[name]);
const L = num('len');
const iters = num('iters');
const warmup = num('warmup');
const started = performance.now();
const deadline = started + num('budget-s') * 1000;

function emit(line: Record<string, unknown>): void {
  const text = JSON.stringify({ engine: 'rerankd-ort', device, ...line });
  process.stdout.write(`${text}\n`);
  if (args.out) appendFileSync(args.out, `${text}\n`);
}

/** Deterministic pseudo-random integers (xorshift32), so every dtype sees the same workload. */
function rng(seed: number): (n: number) => number {
  let state = (seed ^ 0x9e3779b9) >>> 0 || 1;
  return (n) => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % n;
  };
}

const { config, weights } = loadHfModel(modelDir);
if (config.family !== 'qwen3') throw new Error(`bench-gpu measures Qwen3 rerankers; ${modelDir} is ${config.architecture}`);
const next = rng(num('seed'));
const sequence = (length: number): SequenceInput => ({ inputIds: Array.from({ length }, () => next(151000)) });
const mixedLengths = Array.from({ length: num('mixed-pairs') }, () => num('mixed-min') + next(num('mixed-max') - num('mixed-min') + 1));
const mixed = mixedLengths.map((length) => sequence(length));
// The anchor replays the same lengths (anchor_transformers.py --mixed … --lengths FILE).
if (args['lengths-out']) writeFileSync(args['lengths-out'], JSON.stringify(mixedLengths));
// Weights of the projections (what the anchor's linear_tflops counts): 2 FLOPs per weight per token.
const q = config.numHeads * config.headDim;
const kv = config.numKvHeads * config.headDim;
const linearParams = config.numLayers * (config.hiddenSize * (q + 2 * kv) + q * config.hiddenSize + 3 * config.hiddenSize * config.intermediateSize);

/**
 * One engine step as a worker runs it for pairs without a cached prefix: int64 feeds built on the
 * host, an empty past per layer, [B,2] float32 logits read back.
 */
function stepper(session: ort.InferenceSession): (batch: SequenceInput[]) => Promise<Float32Array> {
  const past: Record<string, ort.Tensor> = {};
  for (const name of session.inputNames.filter((n) => n.startsWith('past_'))) {
    past[name] = new ort.Tensor('float32', new Float32Array(0), [1, config.family === 'qwen3' ? config.numKvHeads : 1, 0, config.family === 'qwen3' ? config.headDim : 1]);
  }
  return async (batch) => (await session.run({ ...buildFeeds(batch, { kind: 'decoder' }), ...past }, ['logits'])).logits?.data as Float32Array;
}

/** Sorted by length, then cut into batches of at most `max` pairs: what a length-aware scheduler does. */
function lengthSortedBatches(lengths: number[], max: number): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => (lengths[a] as number) - (lengths[b] as number));
  const batches: number[][] = [];
  for (let i = 0; i < order.length; i += max) batches.push(order.slice(i, i + max));
  return batches;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

async function benchDtype(dtype: ComputeDtype): Promise<void> {
  const buildStart = performance.now();
  const graph = compileGraph(config, weights, { maxPositions: Math.max(L, num('mixed-max')) + 8, headTokenIds: [9693, 2152], dtype, device });
  const buildSeconds = (performance.now() - buildStart) / 1000;
  const sessionOptions: SessionOptions = { device, dtype };
  let cpuFallback = false;
  const sessionStart = performance.now();
  let session;
  try {
    session = await createSession(graph.modelPath, sessionOptions).catch(async (error: unknown) => {
      if (!(error instanceof DeviceError) || !/would run on the CPU/.test(error.message)) throw error;
      emit({ bench: 'session', dtype, strict_error: error.message });
      cpuFallback = true;
      return createSession(graph.modelPath, { ...sessionOptions, allowCpuFallback: true });
    });
  } finally {
    graph.remove();
  }
  emit({ bench: 'session', dtype, graph_build_s: round(buildSeconds), session_create_s: round((performance.now() - sessionStart) / 1000), cpu_fallback: cpuFallback });
  const step = stepper(session);
  try {
    for (const B of args.batches.split(',').map(Number)) {
      if (performance.now() > deadline) {
        emit({ bench: 'fixed', dtype, batch: B, len: L, skipped: 'time budget' });
        continue;
      }
      try {
        const batch = Array.from({ length: B }, () => sequence(L));
        for (let i = 0; i < warmup; i++) await step(batch);
        const seconds = (await timed(async () => {
          for (let i = 0; i < iters; i++) await step(batch);
        })) / iters;
        emit({ bench: 'fixed', dtype, batch: B, len: L, iters, s_per_batch: round(seconds), pairs_per_s: round(B / seconds), tokens_per_s: Math.round((B * L) / seconds), linear_tflops: round((2 * linearParams * B * L) / seconds / 1e12), cpu_fallback: cpuFallback });
      } catch (error) {
        emit({ bench: 'fixed', dtype, batch: B, len: L, error: firstLine(error) });
      }
    }
    const realTokens = mixedLengths.reduce((a, b) => a + b, 0);
    const mb = num('mixed-batch');
    const arrival: number[][] = [];
    for (let i = 0; i < mixed.length; i += mb) arrival.push(Array.from({ length: Math.min(mb, mixed.length - i) }, (_, j) => i + j));
    const sorted = lengthSortedBatches(mixedLengths, mb);
    for (const [order, batches] of [['arrival-padded', arrival], ['length-sorted', sorted]] as const) {
      if (performance.now() > deadline) {
        emit({ bench: 'mixed', dtype, order, skipped: 'time budget' });
        continue;
      }
      try {
        const runAll = async () => {
          for (const b of batches) await step(b.map((i) => mixed[i] as SequenceInput));
        };
        await runAll();
        const reps = 3;
        const seconds = (await timed(async () => {
          for (let r = 0; r < reps; r++) await runAll();
        })) / reps;
        const padded = batches.reduce((sum, b) => sum + b.length * Math.max(...b.map((i) => mixedLengths[i] as number)), 0);
        emit({
          bench: 'mixed',
          dtype,
          order,
          pairs: mixed.length,
          lengths: `${num('mixed-min')}-${num('mixed-max')}`,
          batches: batches.length,
          max_batch: mb,
          s_per_pass: round(seconds),
          pairs_per_s: round(mixed.length / seconds),
          tokens_per_s: Math.round(realTokens / seconds),
          padding_fraction: round(1 - realTokens / padded),
          cpu_fallback: cpuFallback,
        });
      } catch (error) {
        emit({ bench: 'mixed', dtype, order, error: firstLine(error) });
      }
    }
  } finally {
    await session.release();
  }
}

const WORDS = 'the model reads each passage and decides whether it answers the query about paged attention caches batching throughput latency graphs weights tokens retrieval ranking documents search'.split(' ');

/**
 * The serving path end to end: loadReranker (tokenizer, prompt template, scheduler, prefix cache)
 * scoring pairs of one query with documents of ~L tokens, as a rerank request does.
 */
async function benchEndToEnd(dtype: ComputeDtype): Promise<void> {
  const count = num('e2e-pairs');
  const pairs: PairInput[] = Array.from({ length: count }, (_, i) => ({
    query: 'how do paged KV caches speed up reranking on a GPU?',
    document: Array.from({ length: Math.round(L * 0.75) }, (_, w) => WORDS[(i * 7 + w * 13) % WORDS.length]).join(' '),
  }));
  const loadStart = performance.now();
  const options = { model: modelDir, device, dtype, maxModelLen: 2 * L + 256, maxNumPairs: num('mixed-batch'), maxNumBatchedTokens: num('mixed-batch') * (L + 64) };
  let cpuFallback = false;
  const reranker = await loadReranker(options).catch((error: unknown) => {
    if (!(error instanceof DeviceError) || !/would run on the CPU/.test(error.message)) throw error;
    cpuFallback = true;
    return loadReranker({ ...options, allowCpuFallback: true });
  });
  try {
    const loadSeconds = (performance.now() - loadStart) / 1000;
    await reranker.score(pairs.slice(0, 8));
    const outputs = await reranker.score(pairs);
    const tokens = outputs.reduce((sum, o) => sum + o.tokens, 0);
    const seconds = await timed(() => reranker.score(pairs));
    emit({ bench: 'e2e', dtype, pairs: count, mean_tokens: Math.round(tokens / count), load_s: round(loadSeconds), s_per_request: round(seconds), pairs_per_s: round(count / seconds), tokens_per_s: Math.round(tokens / seconds), cpu_fallback: cpuFallback, execution: reranker.execution });
  } finally {
    await reranker.close();
  }
}

function round(x: number): number {
  return Number(x.toPrecision(4));
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

/** A one-node session first: when the device cannot run at all, say so in a second, not after building graphs. */
async function preflight(): Promise<boolean> {
  const dir = mkdtempSync(join(tmpdir(), 'rerankd-preflight-'));
  try {
    const g = new GraphBuilder(join(dir, 'weights.bin'), 'weights.bin');
    g.alias(g.op('Relu', [g.input('x', 'float', [1])]), 'y');
    g.output('y', 'float', [1]);
    writeFileSync(join(dir, 'model.onnx'), g.finish({ '': 23 }, 'preflight'));
    const session = await createSession(join(dir, 'model.onnx'), { device });
    await session.release();
    return true;
  } catch (error) {
    emit({ bench: 'preflight', error: firstLine(error) });
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

emit({ bench: 'config', model: modelDir, architecture: config.architecture, layers: config.numLayers, hidden: config.hiddenSize, linear_params: linearParams });
if (!(await preflight())) {
  process.exitCode = 1;
  args.dtypes = '';
  args['e2e-dtypes'] = '';
}
for (const dtype of args.dtypes.split(',').map((d) => d.trim()).filter(Boolean)) {
  if (!isDtypeChoice(dtype) || dtype === 'auto') throw new Error(`--dtypes: ${dtype} is not float32, float16 or bfloat16`);
  if (performance.now() > deadline) {
    emit({ bench: 'session', dtype, skipped: 'time budget' });
    continue;
  }
  try {
    await benchDtype(dtype);
  } catch (error) {
    emit({ bench: 'session', dtype, error: firstLine(error) });
    process.exitCode = 1;
  }
}
for (const dtype of args['e2e-dtypes'].split(',').map((d) => d.trim()).filter(Boolean)) {
  if (!isDtypeChoice(dtype) || dtype === 'auto') throw new Error(`--e2e-dtypes: ${dtype} is not float32, float16 or bfloat16`);
  if (performance.now() > deadline) {
    emit({ bench: 'e2e', dtype, skipped: 'time budget' });
    continue;
  }
  try {
    await benchEndToEnd(dtype);
  } catch (error) {
    emit({ bench: 'e2e', dtype, error: firstLine(error) });
  }
}
emit({ bench: 'done', seconds: round((performance.now() - started) / 1000) });
