import type { RequestHandler } from 'express';
import { observeRequest, type GatewayMetrics, type RequestObservation } from '../metrics';

/** Probes and scrapes: their failures are not API errors. */
const OPERATIONAL_PATHS = new Set(['/health', '/ready', '/version', '/metrics']);

/** The error kind a status code stands for, when the dispatcher did not name one (see error-mapping.ts). */
function kindOfStatus(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request';
    case 401:
      return 'authentication';
    case 404:
      return 'not_found';
    case 413:
      return 'payload_too_large';
    case 429:
      return 'queue_full';
    case 503:
      return 'unavailable';
    case 504:
      return 'timeout';
    default:
      return status >= 500 ? 'internal' : 'invalid_request';
  }
}

/**
 * Counts and times every request; unknown paths share one label so clients cannot mint series.
 * Scoring requests also get per-model latency, size and error-kind metrics: the dispatcher
 * fills in the request's observation, which this middleware reads when the answer is over.
 */
export function httpMetrics(metrics: GatewayMetrics, knownPaths: ReadonlySet<string>): RequestHandler {
  return (req, res, next) => {
    const route = knownPaths.has(req.path) ? req.path : 'unmatched';
    const started = process.hrtime.bigint();
    const observation: RequestObservation = {};
    metrics.requestsInFlight.inc({ route });
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const answered = res.writableFinished;
      metrics.requests.inc({ route, method: req.method, status: answered ? String(res.statusCode) : 'aborted' });
      metrics.requestDuration.observe({ route, method: req.method }, seconds);
      metrics.requestsInFlight.dec({ route });
      if (!answered) return;
      const { model, pairs, promptTokens, errorKind } = observation;
      if (model !== undefined) {
        metrics.scoringDuration.observe({ model, route }, seconds);
        if (pairs !== undefined) metrics.requestPairs.observe({ model }, pairs);
        if (promptTokens !== undefined) metrics.requestPromptTokens.observe({ model }, promptTokens);
      }
      if (res.statusCode >= 400 && !OPERATIONAL_PATHS.has(route)) {
        metrics.requestErrors.inc({ route, kind: errorKind ?? kindOfStatus(res.statusCode) });
      }
    });
    observeRequest(observation, next);
  };
}
