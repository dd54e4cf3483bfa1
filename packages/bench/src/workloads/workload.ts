import { InvalidRequestError } from '@rerankd/protocol';
import { SeededStream } from '../random';
import type { TextGenerator } from '../text/text-generator';

/**
 * w1: one client, one query against N documents of ~L tokens, R requests in sequence.
 * w2: C clients at once, each sending w1-shaped requests with a query of its own.
 * w3: mixed. An idle phase first (interactive requests alone), then C clients sending big
 *     requests (1..N documents of 32..L tokens, log-uniform) while one more client sends small
 *     interactive requests at a fixed interval.
 */
export const WORKLOAD_NAMES = ['w1', 'w2', 'w3'] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

export function isWorkloadName(name: string): name is WorkloadName {
  return (WORKLOAD_NAMES as readonly string[]).includes(name);
}

export interface WorkloadOptions {
  name: WorkloadName;
  /** w1/w2: documents per request; w3: most documents in one big request. */
  docs: number;
  /** w1/w2: tokens per document; w3: tokens of the longest document. */
  docTokens: number;
  /** w2/w3: clients sending at once (w1 has one). */
  clients: number;
  /** Requests each client sends, one after another. */
  requests: number;
  /** w3: tokens of the shortest big-request document. */
  minDocTokens: number;
  /** w3: documents of an interactive request, and their tokens. */
  interactiveDocs: number;
  interactiveDocTokens: number;
  /** w3: time between two interactive requests. */
  intervalMs: number;
  /** w3: interactive requests sent on the idle server before the load starts. */
  idleRequests: number;
  /** Requests sent (and not measured) before anything is timed. */
  warmupRequests: number;
}

const COMMON = { requests: 2, minDocTokens: 32, interactiveDocs: 5, interactiveDocTokens: 64, intervalMs: 100, idleRequests: 10, warmupRequests: 1 };

/** Defaults of each workload: sizes of a RAG reranking call (w1/w2) and of the mix (w3). */
export const WORKLOAD_DEFAULTS: Record<WorkloadName, WorkloadOptions> = {
  w1: { ...COMMON, name: 'w1', docs: 64, docTokens: 256, clients: 1 },
  w2: { ...COMMON, name: 'w2', docs: 64, docTokens: 256, clients: 4 },
  // Eight big requests per client: ~30 s of load on a 2-core CPU, a few hundred interactive requests, so p99 is not just the slowest one.
  w3: { ...COMMON, name: 'w3', docs: 256, docTokens: 2048, clients: 2, requests: 8 },
};

/** The workload's defaults with `overrides` applied and checked. */
export function resolveWorkload(name: WorkloadName, overrides: Partial<Omit<WorkloadOptions, 'name'>> = {}): WorkloadOptions {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const options: WorkloadOptions = { ...WORKLOAD_DEFAULTS[name], ...defined, name };
  if (name === 'w1') options.clients = 1;
  for (const key of ['docs', 'docTokens', 'clients', 'requests', 'minDocTokens', 'interactiveDocs', 'interactiveDocTokens', 'intervalMs'] as const) {
    if (!(Number.isInteger(options[key]) && options[key] > 0)) throw new InvalidRequestError(`${key} must be a positive integer, got ${options[key]}`, key);
  }
  for (const key of ['idleRequests', 'warmupRequests'] as const) {
    if (!(Number.isInteger(options[key]) && options[key] >= 0)) throw new InvalidRequestError(`${key} must be a non-negative integer, got ${options[key]}`, key);
  }
  options.minDocTokens = Math.min(options.minDocTokens, options.docTokens);
  return options;
}

export interface PlannedRequest {
  query: string;
  documents: string[];
}

/** Every request a workload sends, generated before anything is timed. */
export interface WorkloadPlan {
  options: WorkloadOptions;
  warmup: PlannedRequest[];
  /** One list per load client, sent in order. */
  clients: PlannedRequest[][];
  /** w3 only: the interactive client's i-th request. */
  interactive?: (i: number) => PlannedRequest;
}

/** The requests of a workload: the same options, seed and tokens per word give the same texts. */
export function planWorkload(options: WorkloadOptions, text: TextGenerator): WorkloadPlan {
  const documents = (key: string, docs: number, tokens: number): string[] =>
    Array.from({ length: docs }, (_, d) => text.document(`${key}/d${d}`, tokens));
  const uniform = (key: string, docs: number, tokens: number): PlannedRequest => ({ query: text.query(key), documents: documents(key, docs, tokens) });
  const { name } = options;
  if (name === 'w3') {
    const interactive = (i: number): PlannedRequest => uniform(`w3/interactive/r${i}`, options.interactiveDocs, options.interactiveDocTokens);
    const clients = Array.from({ length: options.clients }, (_, c) => {
      const sizes = new SeededStream(text.seed, `w3/c${c}/sizes`);
      const query = text.query(`w3/c${c}`);
      return Array.from({ length: options.requests }, (_, r) => ({
        query,
        documents: Array.from({ length: sizes.logInt(1, options.docs) }, (_, d) =>
          text.document(`w3/c${c}/r${r}/d${d}`, sizes.logInt(options.minDocTokens, options.docTokens)),
        ),
      }));
    });
    return {
      options,
      warmup: Array.from({ length: options.warmupRequests }, (_, i) => uniform(`w3/warmup/r${i}`, options.interactiveDocs, options.interactiveDocTokens)),
      clients,
      interactive,
    };
  }
  const clients = Array.from({ length: options.clients }, (_, c) => {
    const query = text.query(`${name}/c${c}`);
    return Array.from({ length: options.requests }, (_, r) => ({ query, documents: documents(`${name}/c${c}/r${r}`, options.docs, options.docTokens) }));
  });
  return {
    options,
    warmup: Array.from({ length: options.warmupRequests }, (_, i) => uniform(`${name}/warmup/r${i}`, options.docs, options.docTokens)),
    clients,
  };
}
