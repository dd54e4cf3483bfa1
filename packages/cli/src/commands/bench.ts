import { cpus } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  DIALECTS,
  runBench,
  WORKLOAD_NAMES,
  type BenchOptions,
  type Dialect,
  type StartServer,
  type WorkloadName,
  type WorkloadOptions,
} from '@rerankd/bench';
import { runModelBench, type ModelBenchResult } from '@rerankd/model';
import { InvalidRequestError } from '@rerankd/protocol';
import { addModelOptions, noticeIgnoredFlags, toLoadOptions, type ModelFlags } from '../options/model';
import { startEmbeddedServer } from '../runtime/embedded-server';

/** The workloads `rerankd bench model` runs by default (and `pnpm bench:model`). */
const MODEL_WORKLOADS = [
  { like: 'qwen3-reranker-0.6b', pairs: 16, tokensPerPair: 300 },
  { like: 'ms-marco-minilm-l6', pairs: 64, tokensPerPair: 300 },
] as const;

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('Benchmarks that print their numbers next to a baseline measured in the same run.');
  registerBenchLoad(bench);
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

interface BenchLoadFlags extends ModelFlags {
  url?: string;
  dialect: Dialect;
  apiKey?: string;
  workload: WorkloadName;
  docs?: number;
  docTokens?: number;
  clients?: number;
  requests?: number;
  intervalMs?: number;
  idleRequests?: number;
  warmup?: number;
  seed: number;
  baseline?: 'naive';
  calibrate: boolean;
  cacheDir: string;
  rooflineSeconds: number;
}

/** `rerankd bench` (= `rerankd bench load`): a load generator that prints one JSON line. */
function registerBenchLoad(bench: Command): void {
  const load = addModelOptions(
    bench
      .command('load', { isDefault: true })
      .description(
        'Load generator: runs a named workload against --url or an in-process server for --model and prints one JSON line ' +
          '(pairs/s, tokens/s, latency percentiles, prefix-cache hit rate, padding, useful GFLOP/s against the CPU roofline).',
      ),
  )
    .addOption(new Option('--url <url>', 'a running server (any rerankd, vLLM, TEI…); absent: start one in this process for --model'))
    .addOption(new Option('--dialect <api>', 'the API to drive: vllm (/v1/rerank), cohere-v2 (/v2/rerank), tei (/rerank), score (/v1/score)').choices(DIALECTS).default('vllm'))
    .addOption(new Option('--api-key <key>', 'sent as "Authorization: Bearer KEY" to --url'))
    .addOption(new Option('--workload <name>', 'w1: one query, N documents; w2: C clients at once; w3: big requests plus interactive ones').choices(WORKLOAD_NAMES).default('w1'))
    .addOption(new Option('--docs <n>', 'documents per request (w3: the most in one big request)').argParser(positiveInt))
    .addOption(new Option('--doc-tokens <n>', 'tokens per document (w3: the longest document)').argParser(positiveInt))
    .addOption(new Option('--clients <n>', 'clients sending at once (w2, w3)').argParser(positiveInt))
    .addOption(new Option('--requests <n>', 'requests each client sends in sequence').argParser(positiveInt))
    .addOption(new Option('--interval-ms <n>', 'w3: time between interactive requests').argParser(positiveInt))
    .addOption(new Option('--idle-requests <n>', 'w3: interactive requests timed on the idle server first').argParser(nonNegativeInt))
    .addOption(new Option('--warmup <n>', 'unmeasured requests sent first').argParser(nonNegativeInt))
    .addOption(new Option('--seed <n>', 'seed of the generated texts').argParser(nonNegativeInt).default(0))
    .addOption(new Option('--baseline <kind>', 'naive: run the workload again on a server with one pair per model run and no prefix reuse (in-process only)').choices(['naive']))
    .addOption(new Option('--no-calibrate', 'size texts with the default tokens per word instead of measuring it through the server'))
    .addOption(new Option('--cache-dir <dir>', 'where preset models are generated once').default(join(process.cwd(), '.cache', 'bench-models')))
    .addOption(new Option('--roofline-seconds <s>', 'how long the MatMul roofline is measured').argParser(positiveNumber).default(2));

  const model = load.options.find((o) => o.long === '--model');
  if (model) model.description = 'in-process: a model directory, hub id or make-random-model preset name; with --url: the model name sent';
  // How the model is loaded, and the baseline: they need a server started here.
  const loadFlags = new Set(addModelOptions(new Command()).options.map((o) => o.long));
  const inProcessOnly = load.options.filter(
    (o) => o.long === '--baseline' || (loadFlags.has(o.long) && o.long !== '--model' && o.long !== '--trust-remote-code'),
  );

  load.action(async (flags: BenchLoadFlags) => {
    noticeIgnoredFlags(flags);
    const sizes: Partial<Omit<WorkloadOptions, 'name'>> = {
      docs: flags.docs,
      docTokens: flags.docTokens,
      clients: flags.clients,
      requests: flags.requests,
      intervalMs: flags.intervalMs,
      idleRequests: flags.idleRequests,
      warmupRequests: flags.warmup,
    };
    const log = (line: string) => process.stderr.write(`rerankd bench: ${line}\n`);
    const result = await runBench({
      workload: flags.workload,
      sizes,
      dialect: flags.dialect,
      seed: flags.seed,
      calibrate: flags.calibrate,
      log,
      target: benchTarget(flags, load, inProcessOnly),
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
    const errors = result.errors + (result.baseline?.errors ?? 0);
    if (errors > 0) {
      process.stderr.write(`rerankd bench: ${errors} request(s) failed: the numbers above are not a valid measurement\n`);
      process.exitCode = 1;
    }
  });
}

/** A running server (--url) or one started in this process for --model. */
function benchTarget(flags: BenchLoadFlags, load: Command, inProcessOnly: Option[]): BenchOptions['target'] {
  if (flags.url) {
    const given = inProcessOnly.filter((o) => load.getOptionValueSource(o.attributeName()) === 'cli').map((o) => o.long);
    if (given.length) {
      throw new InvalidRequestError(`${given.join(', ')} ${given.length > 1 ? 'apply' : 'applies'} only to an in-process server: leave out --url`);
    }
    return { kind: 'url', url: flags.url, ...(flags.apiKey ? { apiKey: flags.apiKey } : {}), ...(flags.model ? { model: flags.model } : {}) };
  }
  if (!flags.model) throw new InvalidRequestError('give --model (a directory, hub id or make-random-model preset) to benchmark in this process, or --url of a running server');
  if (flags.apiKey) throw new InvalidRequestError('--api-key is for --url: the in-process server has no key');
  const { model: _model, ...loadOptions } = toLoadOptions(flags.model, flags);
  return {
    kind: 'in-process',
    model: flags.model,
    load: loadOptions,
    startServer: startBenchServer,
    cacheDir: flags.cacheDir,
    rooflineSeconds: flags.rooflineSeconds,
    ...(flags.baseline ? { baseline: flags.baseline } : {}),
  };
}

/** The embedded server of `rerankd serve` on a free loopback port, with limits no workload reaches. */
const startBenchServer: StartServer = ({ load, servedModelName }) =>
  startEmbeddedServer({
    load,
    servedModelNames: [servedModelName],
    gateway: { apiKeys: [], limits: { maxBodyBytes: 2 ** 30, maxDocumentsPerRequest: 1_000_000, requestTimeoutMs: 2 ** 31 - 1 } },
    host: '127.0.0.1',
    port: 0,
  });

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('a positive integer is expected.');
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('a non-negative integer is expected.');
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!(Number.isFinite(n) && n > 0)) throw new InvalidArgumentError('a positive number is expected.');
  return n;
}
