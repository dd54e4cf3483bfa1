import type { RequestHandler } from 'express';
import type { GatewayMetrics } from '../metrics';

/** Counts and times every request; unknown paths share one label so clients cannot mint series. */
export function httpMetrics(metrics: GatewayMetrics, knownPaths: ReadonlySet<string>): RequestHandler {
  return (req, res, next) => {
    const route = knownPaths.has(req.path) ? req.path : 'unmatched';
    const stopTimer = metrics.requestDuration.startTimer({ route, method: req.method });
    metrics.requestsInFlight.inc({ route });
    res.once('close', () => {
      const status = res.writableFinished ? String(res.statusCode) : 'aborted';
      metrics.requests.inc({ route, method: req.method, status });
      stopTimer();
      metrics.requestsInFlight.dec({ route });
    });
    next();
  };
}
