import { cpus } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { runModelBench, type ModelBenchResult } from '@rerankd/model';

/** The workloads `rerankd bench model` runs by default (and `pnpm bench:model`). */
const MODEL_WORKLOADS = [
  { like: 'qwen3-reranker-0.6b', pairs: 16, tokensPerPair: 300 },
  { like: 'ms-marco-minilm-l6', pairs: 64, tokensPerPair: 300 },
] as const;

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('Benchmarks that print their numbers next to a baseline measured in the same run.');
  bench
    .command('model')
    .description('Pairs/s batched vs one pair per run, against the fp32 MatMul roofline of this CPU.')
    .option('--cache-dir <dir>', 'where random models are generated once', join(process.cwd(), '.cache', 'bench-models'))
    .option('--threads <n>', 'CPU threads per operator', (v) => Number(v))
    .action(async (flags: { cacheDir: string; threads?: number }) => {
      process.stdout.write(`rerankd bench model — ${new Date().toISOString()} — ${cpus()[0]?.model ?? 'cpu'} ×${cpus().length}\n`);
      for (const workload of MODEL_WORKLOADS) {
        const result = await runModelBench({ ...workload, cacheDir: flags.cacheDir, ...(flags.threads ? { threads: flags.threads } : {}) });
        process.stdout.write(formatModelBench(result));
      }
    });
}

function formatModelBench(r: ModelBenchResult): string {
  const fraction = (100 * r.batchedGflops) / r.rooflineGflops;
  return [
    `\n${r.like}: ${r.pairs} pairs, ${r.meanTokens.toFixed(0)} tokens each on average`,
    `  batched          ${r.batchedPairsPerSecond.toFixed(2)} pairs/s  (${r.batchedGflops.toFixed(1)} GFLOP/s)`,
    `  one pair per run ${r.singlePairsPerSecond.toFixed(2)} pairs/s  (batched is ${(r.batchedPairsPerSecond / r.singlePairsPerSecond).toFixed(2)}×)`,
    `  fp32 MatMul roofline of this CPU (same run): ${r.rooflineGflops.toFixed(1)} GFLOP/s → batched reaches ${fraction.toFixed(0)}%`,
    '',
  ].join('\n');
}
