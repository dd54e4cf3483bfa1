import { existsSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadHfModel, loadReranker, makeRandomModel, type LoadRerankerOptions, type PairInput, type TensorParallelOptions } from '@rerankd/model';
import { benchExchange, type CollectiveTraffic, type GroupInfo } from '@rerankd/tensor-parallel';
import { positiveInt } from '../options/define';
import { tensorParallelFor } from '../runtime/tensor-parallel';

interface BenchTpFlags {
  model?: string;
  cacheDir: string;
  tp: number;
  pairs: number;
  docTokens: number;
  runs: number;
  threads?: number;
}

interface TpResult {
  size: number;
  threadsPerRank: number;
  pairsPerSecond: number;
  steps: number;
  stepMs: number;
  /** Rank 0's side of the collective, per step (TP > 1), and its milliseconds in ORT per step. */
  allReduce: { calls: number; bytes: number; ms: number; computeMs: number } | null;
}

const WORDS = 'the model reads each passage and decides whether it answers the query about paged attention caches batching throughput latency graphs weights tokens'.split(' ');

function benchPairs(run: number, count: number, tokens: number): PairInput[] {
  // A new query per run: each run computes its prefix once, then its documents.
  const query = `run ${run}: how do paged KV caches speed up reranking?`;
  return Array.from({ length: count }, (_, i) => ({ query, document: Array.from({ length: Math.round(tokens * 0.8) }, (_, w) => WORDS[(run * 5 + i * 7 + w * 13) % WORDS.length]).join(' ') }));
}

/**
 * `rerankd bench tp`: the same pairs scored by one process (TP=1) and by a tensor-parallel group
 * of child processes on this host over gRPC (TP=N), in the same run: pairs/s, and per engine step
 * the all-reduces of rank 0 (count, bytes, milliseconds inside the collective, which includes
 * waiting for the slowest rank).
 */
export function registerBenchTp(program: Command): void {
  const bench = program.commands.find((c) => c.name() === 'bench') ?? program.command('bench');
  bench
    .command('tp')
    .description('Pairs/s of TP=1 against a tensor-parallel group over gRPC on this host, with the all-reduce bytes and milliseconds per step.')
    .option('--model <dir>', 'model directory (default: a random qwen3-reranker-0.6b in --cache-dir)')
    .option('--cache-dir <dir>', 'where random models are generated once', join(process.cwd(), '.cache', 'bench-models'))
    .option('--tp <n>', 'size of the group to compare with TP=1', positiveInt('--tp'), 2)
    .option('--pairs <n>', 'documents per request', positiveInt('--pairs'), 8)
    .option('--doc-tokens <n>', 'approximate tokens per document', positiveInt('--doc-tokens'), 100)
    .option('--runs <n>', 'timed requests after a warm-up', positiveInt('--runs'), 2)
    .option('--threads <n>', 'CPU threads of the TP=1 process; each of N ranks gets threads / N (default: all cores)', positiveInt('--threads'))
    .action(async (flags: BenchTpFlags) => {
      const model = flags.model ?? join(flags.cacheDir, 'qwen3-reranker-0.6b');
      if (!flags.model && !existsSync(join(model, 'config.json'))) await makeRandomModel({ like: 'qwen3-reranker-0.6b', outDir: model, seed: 0 });
      const { config } = loadHfModel(model);
      const threads = flags.threads ?? availableParallelism();
      process.stdout.write(`rerankd bench tp — ${new Date().toISOString()} — ${cpus()[0]?.model ?? 'cpu'} ×${cpus().length}\n`);
      process.stdout.write(`model ${model} (${config.architecture}, ${config.numLayers} layers, hidden ${config.hiddenSize})\n`);
      process.stdout.write(`workload: ${flags.runs} requests of ${flags.pairs} pairs × ~${flags.docTokens} document tokens, after one warm-up request\n\n`);
      const baseline = await measure(model, flags, 1, threads);
      process.stdout.write(formatResult(baseline, null));
      const split = await measure(model, flags, flags.tp, Math.max(1, Math.floor(threads / flags.tp)));
      process.stdout.write(formatResult(split, baseline));
      if (split.allReduce && split.allReduce.calls > 0) {
        // The same tensors over one Exchange stream with no model: the transfer without waiting on a slower rank.
        const bytes = Math.round(split.allReduce.bytes / split.allReduce.calls);
        const wire = await benchExchange({ bytes, calls: 50 });
        process.stdout.write(
          `  the collective alone (2 ranks, one loopback Exchange stream, both ends in one process): ${(wire.bytes / 2 ** 10).toFixed(0)} KiB per all-reduce in ${wire.msPerCall.toFixed(2)} ms ` +
            `(${(wire.bytesPerSecond / 2 ** 20).toFixed(0)} MiB/s) → ${(wire.msPerCall * split.allReduce.calls).toFixed(1)} ms per step\n`,
        );
      }
    });
}

async function measure(model: string, flags: BenchTpFlags, size: number, threadsPerRank: number): Promise<TpResult> {
  const load: LoadRerankerOptions = { model, threads: threadsPerRank, maxNumPairs: flags.pairs, maxNumBatchedTokens: flags.pairs * 2 * (flags.docTokens + 100) };
  let group: GroupInfo | null = null;
  if (size > 1) {
    const tp = tensorParallelFor({ tp: size, threads: threadsPerRank }, (error) => {
      process.stderr.write(`rerankd bench tp: the group failed: ${error.message}\n`);
      process.exit(1);
    });
    const inner = tp?.options as TensorParallelOptions;
    load.tensorParallel = {
      size,
      async connect(spec, loadLead) {
        const executor = await inner.connect(spec, loadLead);
        group = executor as unknown as GroupInfo;
        return executor;
      },
    };
  }
  const reranker = await loadReranker(load);
  try {
    let steps = 0;
    let stepSeconds = 0;
    reranker.onStep((step) => {
      steps++;
      stepSeconds += step.seconds;
    });
    await reranker.score(benchPairs(0, flags.pairs, flags.docTokens));
    steps = 0;
    stepSeconds = 0;
    const before: (CollectiveTraffic & { computeSeconds: number }) | null = group ? { ...(group as GroupInfo).traffic, computeSeconds: (group as GroupInfo).leadStats.computeSeconds } : null;
    const started = performance.now();
    for (let run = 1; run <= flags.runs; run++) await reranker.score(benchPairs(run, flags.pairs, flags.docTokens));
    const seconds = (performance.now() - started) / 1000;
    const after = group ? { ...(group as GroupInfo).traffic, computeSeconds: (group as GroupInfo).leadStats.computeSeconds } : null;
    return {
      size,
      threadsPerRank,
      pairsPerSecond: (flags.pairs * flags.runs) / seconds,
      steps,
      stepMs: (1000 * stepSeconds) / Math.max(1, steps),
      allReduce:
        before && after
          ? {
              calls: (after.calls - before.calls) / Math.max(1, steps),
              bytes: (after.bytesReduced - before.bytesReduced) / Math.max(1, steps),
              ms: (1000 * (after.seconds - before.seconds)) / Math.max(1, steps),
              computeMs: (1000 * (after.computeSeconds - before.computeSeconds)) / Math.max(1, steps),
            }
          : null,
    };
  } finally {
    await reranker.close();
  }
}

function formatResult(r: TpResult, baseline: TpResult | null): string {
  const label = r.size === 1 ? 'TP=1 (one process)' : `TP=${r.size} (gRPC, ${r.size} processes)`;
  const lines = [`${label.padEnd(26)} ${r.pairsPerSecond.toFixed(2)} pairs/s  ${r.steps} steps of ${r.stepMs.toFixed(1)} ms  (${r.threadsPerRank} thread${r.threadsPerRank > 1 ? 's' : ''} per rank)`];
  if (r.allReduce) {
    const { calls, bytes, ms, computeMs } = r.allReduce;
    lines.push(`  all-reduce per step: ${calls.toFixed(0)} calls, ${(bytes / 2 ** 20).toFixed(2)} MiB reduced, ${ms.toFixed(1)} ms in the collective (${((100 * ms) / r.stepMs).toFixed(0)}% of the step)`);
    lines.push(`  rank 0 per step: ${computeMs.toFixed(1)} ms in its ORT segments, ${(r.stepMs - computeMs - ms).toFixed(1)} ms elsewhere (feeds, residual adds, step messages)`);
  }
  if (baseline) lines.push(`  against TP=1 in the same run: ${(r.pairsPerSecond / baseline.pairsPerSecond).toFixed(2)}× the pairs/s`);
  return `${lines.join('\n')}\n`;
}
