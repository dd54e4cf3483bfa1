import { AsyncLocalStorage } from 'node:async_hooks';
import { Counter, Gauge, Histogram, exponentialBuckets, type Registry } from 'prom-client';

export interface GatewayMetrics {
  requests: Counter<'route' | 'method' | 'status'>;
  requestDuration: Histogram<'route' | 'method'>;
  requestsInFlight: Gauge<'route'>;
  /** Scoring requests that reached a model, by model and route (the API dialect). */
  scoringDuration: Histogram<'model' | 'route'>;
  requestPairs: Histogram<'model'>;
  requestPromptTokens: Histogram<'model'>;
  requestErrors: Counter<'route' | 'kind'>;
}

/** Seconds, from a millisecond answer on a GPU to minutes of CPU work (the request timeout is 60 s by default). */
export const REQUEST_SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** Pairs (documents) in one request: 1 to 10,000 (1,000 at most by default). */
export const REQUEST_PAIRS_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];
/** Tokens the model read for one request: 64 to 4 Mi. */
export const REQUEST_TOKENS_BUCKETS = exponentialBuckets(64, 2, 17);

/** HTTP and request metrics of a gateway, registered on `registry`. `route` is a known path or `unmatched`. */
export function createGatewayMetrics(registry: Registry): GatewayMetrics {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'rerankd_http_requests_total',
      help: 'HTTP requests answered, by route, method and status (`aborted`: the client left first).',
      labelNames: ['route', 'method', 'status'],
      registers,
    }),
    requestDuration: new Histogram({
      name: 'rerankd_http_request_duration_seconds',
      help: 'Time from receiving an HTTP request to the end of its answer.',
      labelNames: ['route', 'method'],
      buckets: REQUEST_SECONDS_BUCKETS,
      registers,
    }),
    requestsInFlight: new Gauge({
      name: 'rerankd_http_requests_in_flight',
      help: 'HTTP requests received and not yet answered.',
      labelNames: ['route'],
      registers,
    }),
    scoringDuration: new Histogram({
      name: 'rerankd_request_duration_seconds',
      help: 'End-to-end time of a rerank or score request that reached a model, whatever its outcome, by model and route.',
      labelNames: ['model', 'route'],
      buckets: REQUEST_SECONDS_BUCKETS,
      registers,
    }),
    requestPairs: new Histogram({
      name: 'rerankd_request_pairs',
      help: 'Query-document pairs in one rerank or score request.',
      labelNames: ['model'],
      buckets: REQUEST_PAIRS_BUCKETS,
      registers,
    }),
    requestPromptTokens: new Histogram({
      name: 'rerankd_request_prompt_tokens',
      help: 'Tokens the model read for one successful rerank or score request (its usage.prompt_tokens).',
      labelNames: ['model'],
      buckets: REQUEST_TOKENS_BUCKETS,
      registers,
    }),
    requestErrors: new Counter({
      name: 'rerankd_request_errors_total',
      help: 'API requests answered with an error, by route and error kind (invalid_request, not_found, unavailable, timeout, ...).',
      labelNames: ['route', 'kind'],
      registers,
    }),
  };
}

/** What the dispatcher learns about the HTTP request it serves, for the metrics taken when it ends. */
export interface RequestObservation {
  /** The served model the request was dispatched to. */
  model?: string;
  pairs?: number;
  /** Set when every pair was scored. */
  promptTokens?: number;
  /** The kind of the typed error that failed the dispatch. */
  errorKind?: string;
}

const observations = new AsyncLocalStorage<RequestObservation>();

/** Runs `fn` (the rest of an HTTP request's handling) with `observation` as its request's observation. */
export function observeRequest<T>(observation: RequestObservation, fn: () => T): T {
  return observations.run(observation, fn);
}

/** The observation of the HTTP request being handled, if any (none outside a gateway's app). */
export function currentRequestObservation(): RequestObservation | undefined {
  return observations.getStore();
}
