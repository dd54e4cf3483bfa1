import { cpus } from 'node:os';
import { loadModelConfig, modelRooflineGflops, type LoadRerankerOptions, type ModelConfig } from '@rerankd/model';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { calibrateTokensPerWord } from './calibrate';
import { RerankClient } from './client/rerank-client';
import type { Dialect } from './client/dialects';
import { resolveBenchModel } from './model/bench-model';
import { nonEmbeddingParameters } from './model/parameters';
import { round } from './stats';
import { firstError, summarizeRun, type RunSummary } from './summary';
import { TextGenerator } from './text/text-generator';
import { runWorkload } from './workloads/run-workload';
import { planWorkload, resolveWorkload, type WorkloadName, type WorkloadOptions, type WorkloadPlan } from './workloads/workload';

/** A server the benchmark started in this process, reached over HTTP like any other. */
export interface BenchServer {
  url: string;
  close(): Promise<void>;
}

export interface StartServerOptions {
  load: LoadRerankerOptions;
  /** The name requests carry as `model`. */
  servedModelName: string;
}

/** Starts a gateway and worker in this process for a model (`rerankd serve`'s embedded server). */
export type StartServer = (options: StartServerOptions) => Promise<BenchServer>;

/** A server already running, anywhere. */
export interface UrlTarget {
  kind: 'url';
  url: string;
  apiKey?: string;
  /** Sent as `model`; absent: the first model of the server's /v1/models. */
  model?: string;
}

export interface InProcessTarget {
  kind: 'in-process';
  /** A model directory, hub id, or make-random-model preset name. */
  model: string;
  /** How the model is loaded (threads, batch size, device, dtype…); `model` is filled in. */
  load?: Omit<LoadRerankerOptions, 'model'>;
  startServer: StartServer;
  /** Where preset models are written once. */
  cacheDir: string;
  /** 'naive': the same workload again on a server that runs one pair per model run. */
  baseline?: 'naive';
  /** How long the MatMul roofline is measured. Default 2 s. */
  rooflineSeconds?: number;
}

export interface BenchOptions {
  workload: WorkloadName;
  /** Sizes that differ from the workload's defaults. */
  sizes?: Partial<Omit<WorkloadOptions, 'name'>>;
  target: UrlTarget | InProcessTarget;
  /** Default 'vllm' (POST /v1/rerank). */
  dialect?: Dialect;
  /** Same seed, same texts. Default 0. */
  seed?: number;
  /** Measure tokens per word through the server's usage before generating texts. Default true. */
  calibrate?: boolean;
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
}

/** The one JSON line `rerankd bench` prints. */
export interface BenchResult extends RunSummary {
  workload: WorkloadName;
  model: string;
  dialect: Dialect;
  /** 'in-process' or the URL benchmarked. */
  target: string;
  date: string;
  cpu: string;
  clients: number;
  requests_per_client: number;
  docs: number;
  doc_tokens: number;
  seed: number;
  /** Tokens per generated word the texts were sized with (measured through the server when it could be). */
  tokens_per_word: number;
  /** fp32 MatMul GFLOP/s of this CPU at the model's hidden × intermediate shape, measured in the same run (in-process only). */
  roofline_gflops: number | null;
  /**
   * With --quantization int8: the int8 MatMul rate (GOP/s) of this CPU over the same shapes, the
   * ceiling of the quantized projections; useful_gflops counts the same operations.
   */
  int8_roofline_gops?: number;
  /** --baseline naive: the same workload against one pair per model run. */
  baseline?: RunSummary & { kind: 'naive' };
  /** pairs_per_s over the baseline's. */
  speedup?: number | null;
  /**
   * The baseline's computed tokens over this run's, for the same pairs: the speedup that
   * computing fewer tokens gives on its own, at the baseline's speed per token.
   */
  computed_token_ratio?: number | null;
}

/**
 * Load options of the naive baseline: one pair per model run, no prefix caching and the
 * checkpoint's full precision (no quantization), so every token of every pair is computed on
 * its own, as the simplest correct server would.
 */
export function naiveLoadOptions(load: LoadRerankerOptions): LoadRerankerOptions {
  const { quantization: _quantization, ...rest } = load;
  return { ...rest, maxNumPairs: 1, prefixCaching: false };
}

/** Runs one workload against a server (started here, or given by URL) and returns its numbers. */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const log = options.log ?? (() => {});
  const workload = resolveWorkload(options.workload, options.sizes);
  const dialect = options.dialect ?? 'vllm';
  const seed = options.seed ?? 0;
  const { target } = options;

  if (target.kind === 'url') {
    const client = new RerankClient({ url: target.url, dialect, ...(target.apiKey ? { apiKey: target.apiKey } : {}), ...(target.model ? { model: target.model } : {}) });
    const model = target.model ?? (await client.firstModel()) ?? 'unknown';
    const config = localConfig(model);
    const { plan, text } = await prepare(client, workload, seed, options.calibrate, log);
    log(`${workload.name} against ${target.url} (${dialect})`);
    const run = await measure(client, plan, config, log);
    return assemble({ workload, model, dialect, target: target.url, seed, text, run, roofline: null });
  }

  const { dir } = await resolveBenchModel(target.model, target.cacheDir, log);
  const config = loadModelConfig(dir);
  const load: LoadRerankerOptions = { ...target.load, model: dir };
  let prepared: { plan: WorkloadPlan; text: TextGenerator } | undefined;
  const runOn = async (loadOptions: LoadRerankerOptions, label: string): Promise<RunSummary> => {
    log(`${label}: starting an in-process server for ${target.model}`);
    const server = await target.startServer({ load: loadOptions, servedModelName: target.model });
    try {
      const client = new RerankClient({ url: server.url, dialect, model: target.model });
      // The texts are sized once, on the first server, and sent unchanged to the baseline.
      prepared ??= await prepare(client, workload, seed, options.calibrate, log);
      log(`${label}: ${workload.name} (${dialect})`);
      return await measure(client, prepared.plan, config, log);
    } finally {
      await server.close();
    }
  };
  const main = await runOn(load, 'rerankd');
  const baseline = target.baseline === 'naive' ? await runOn(naiveLoadOptions(load), 'baseline (one pair per run)') : undefined;
  // Measured after the servers are closed, so that nothing else competes for the cores.
  log('measuring the fp32 MatMul roofline of this CPU');
  const rooflineSession = { device: 'cpu' as const, ...(load.threads ? { intraOpThreads: load.threads } : {}) };
  const roofline = await modelRooflineGflops(config, rooflineSession, target.rooflineSeconds ?? 1);
  const result = assemble({ workload, model: target.model, dialect, target: 'in-process', seed, text: prepared!.text, run: main, roofline });
  if (load.quantization === 'int8') {
    log('measuring the int8 MatMul roofline of this CPU');
    result.int8_roofline_gops = round(await modelRooflineGflops(config, rooflineSession, target.rooflineSeconds ?? 1, 'int8'), 2);
  }
  if (baseline) {
    result.baseline = { kind: 'naive', ...baseline };
    result.speedup = baseline.pairs_per_s > 0 ? round(main.pairs_per_s / baseline.pairs_per_s, 3) : null;
    result.computed_token_ratio = baseline.computed_tokens !== null && main.computed_tokens ? round(baseline.computed_tokens / main.computed_tokens, 3) : null;
  }
  return result;
}

async function prepare(
  client: RerankClient,
  workload: WorkloadOptions,
  seed: number,
  calibrate: boolean | undefined,
  log: (line: string) => void,
): Promise<{ plan: WorkloadPlan; text: TextGenerator }> {
  let text = new TextGenerator({ seed });
  if (calibrate ?? true) {
    const measured = await calibrateTokensPerWord(client, text);
    if (measured === null) log(`tokens per word not measured (the server reports no token counts): ${text.tokensPerWord} assumed`);
    else text = text.withTokensPerWord(round(measured, 3));
  }
  return { plan: planWorkload(workload, text), text };
}

async function measure(client: RerankClient, plan: WorkloadPlan, config: ModelConfig | null, log: (line: string) => void): Promise<RunSummary> {
  const run = await runWorkload(client, plan);
  const summary = summarizeRun(run, plan.options.name, config ? nonEmbeddingParameters(config) : null);
  if (summary.errors > 0) log(`${summary.errors} request(s) failed; the first: ${firstError(run) ?? 'unknown error'}`);
  log(`${summary.pairs} pairs in ${summary.seconds} s: ${summary.pairs_per_s} pairs/s, p50 ${summary.p50_ms} ms, p99 ${summary.p99_ms} ms`);
  return summary;
}

/** The config of a model named by a local directory, for FLOP counts against a remote server. */
function localConfig(model: string): ModelConfig | null {
  if (!existsSync(join(model, 'config.json'))) return null;
  try {
    return loadModelConfig(model);
  } catch {
    return null;
  }
}

function assemble(parts: {
  workload: WorkloadOptions;
  model: string;
  dialect: Dialect;
  target: string;
  seed: number;
  text: TextGenerator;
  run: RunSummary;
  roofline: number | null;
}): BenchResult {
  const { workload } = parts;
  return {
    workload: workload.name,
    model: parts.model,
    dialect: parts.dialect,
    target: parts.target,
    date: new Date().toISOString(),
    cpu: cpuName(),
    clients: workload.clients,
    requests_per_client: workload.requests,
    docs: workload.docs,
    doc_tokens: workload.docTokens,
    seed: parts.seed,
    tokens_per_word: parts.text.tokensPerWord,
    ...parts.run,
    roofline_gflops: parts.roofline === null ? null : round(parts.roofline, 2),
  };
}

function cpuName(): string {
  const all = cpus();
  return `${all[0]?.model.trim() ?? 'unknown'} ×${all.length}`;
}
