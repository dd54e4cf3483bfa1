import { Gauge, type Registry } from 'prom-client';
import type { WorkQueue } from '@rerankd/queue';

/**
 * Queue depth, pending and dead-letter counts per model, read from the queue at scrape time:
 * the autoscaling signal. Models are those with live workers.
 */
export function registerQueueMetrics(registry: Registry, queue: WorkQueue): void {
  // Registered first so that its collect() refreshes the gauges below in the same scrape.
  new Gauge({
    name: 'rerankd_queue_scrape_ok',
    help: '1 when the queue answered the last scrape.',
    registers: [registry],
    async collect() {
      try {
        const workers = await queue.liveWorkers();
        const models = [...new Set(workers.map((w) => w.model))];
        for (const g of Object.values(gauges)) g.reset();
        for (const model of models) {
          const stats = await queue.stats(model);
          gauges.depth.set({ model }, stats.depth);
          gauges.pending.set({ model }, stats.pending);
          gauges.deadLetters.set({ model }, stats.deadLetters);
          gauges.workers.set({ model }, workers.filter((w) => w.model === model).length);
        }
        this.set(1);
      } catch {
        this.set(0);
      }
    },
  });
  const gauges = {
    depth: new Gauge({ name: 'rerankd_queue_depth', help: 'Work items waiting for a worker.', labelNames: ['model'], registers: [registry] }),
    pending: new Gauge({ name: 'rerankd_queue_pending', help: 'Work items taken by a worker and not yet acknowledged.', labelNames: ['model'], registers: [registry] }),
    deadLetters: new Gauge({ name: 'rerankd_queue_dead_letters', help: 'Work items in the dead-letter stream.', labelNames: ['model'], registers: [registry] }),
    workers: new Gauge({ name: 'rerankd_workers_live', help: 'Workers with a fresh heartbeat.', labelNames: ['model'], registers: [registry] }),
  };
}
