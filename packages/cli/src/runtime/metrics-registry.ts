import { Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process, with the process metrics (CPU, memory, event loop) under rerankd_. */
export function processRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'rerankd_' });
  return registry;
}
