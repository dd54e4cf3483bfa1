import { Gauge, type Registry } from 'prom-client';
import type { WorkQueue } from '@rerankd/queue';

interface ModelQueueState {
  depth: number;
  pending: number;
  deadLetters: number;
  workers: number;
}

/**
 * Queue depth, pending and dead-letter counts per model, read from the queue at scrape time:
 * the autoscaling signal. Models are those with live workers.
 */
export function registerQueueMetrics(registry: Registry, queue: WorkQueue): void {
  // prom-client collects every metric of a scrape at once: the gauges share one read of the
  // queue per scrape (the first collect() starts it, the others await the same promise).
  let reading: Promise<Map<string, ModelQueueState> | null> | null = null;
  const read = () => {
    reading ??= readQueue(queue)
      .catch(() => null)
      .finally(() => (reading = null));
    return reading;
  };
  const queueGauge = ({ name, help }: { name: string; help: string }, value: (state: ModelQueueState) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['model'],
      registers: [registry],
      async collect() {
        const states = await read();
        this.reset();
        for (const [model, state] of states ?? []) this.set({ model }, value(state));
      },
    });
  new Gauge({
    name: 'rerankd_queue_scrape_ok',
    help: '1 when the queue answered the last scrape.',
    registers: [registry],
    async collect() {
      this.set((await read()) === null ? 0 : 1);
    },
  });
  queueGauge({ name: 'rerankd_queue_depth', help: 'Work items waiting for a worker.' }, (s) => s.depth);
  queueGauge({ name: 'rerankd_queue_pending', help: 'Work items taken by a worker and not yet acknowledged.' }, (s) => s.pending);
  queueGauge({ name: 'rerankd_queue_dead_letters', help: 'Work items in the dead-letter stream.' }, (s) => s.deadLetters);
  queueGauge({ name: 'rerankd_workers_live', help: 'Workers with a fresh heartbeat.' }, (s) => s.workers);
}

async function readQueue(queue: WorkQueue): Promise<Map<string, ModelQueueState>> {
  const workers = await queue.liveWorkers();
  const states = new Map<string, ModelQueueState>();
  for (const model of new Set(workers.map((w) => w.model))) {
    const stats = await queue.stats(model);
    states.set(model, { ...stats, workers: workers.filter((w) => w.model === model).length });
  }
  return states;
}
