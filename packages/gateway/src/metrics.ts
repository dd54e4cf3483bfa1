import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface GatewayMetrics {
  requests: Counter<'route' | 'method' | 'status'>;
  requestDuration: Histogram<'route' | 'method'>;
  requestsInFlight: Gauge<'route'>;
}

/** HTTP metrics of a gateway, registered on `registry`. `route` is a known path or `unmatched`. */
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
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    requestsInFlight: new Gauge({
      name: 'rerankd_http_requests_in_flight',
      help: 'HTTP requests received and not yet answered.',
      labelNames: ['route'],
      registers,
    }),
  };
}
