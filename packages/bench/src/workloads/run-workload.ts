import { UnavailableError } from '@rerankd/protocol';
import type { CallOutcome, PreparedRequest, RerankClient } from '../client/rerank-client';
import { readCounters, readResidentBytes, type CounterSnapshot } from '../metrics/engine-metrics';
import type { WorkloadPlan } from './workload';

/** Which part of a workload a request belonged to. */
export type RequestRole = 'load' | 'interactive' | 'idle';

export interface RequestRecord extends CallOutcome {
  role: RequestRole;
}

/** What one workload run recorded. */
export interface WorkloadRun {
  records: RequestRecord[];
  /** Wall time of the load phase: from the first request sent to the last answer. */
  seconds: number;
  /** The server's counters right before and after the load phase; null without /metrics. */
  countersBefore: CounterSnapshot | null;
  countersAfter: CounterSnapshot | null;
  /** The server's resident memory (bytes) sampled every second of the load phase; empty without /metrics. */
  residentBytes: number[];
}

/** How often the server's memory is read during the load. */
const MEMORY_SAMPLE_MS = 1000;

/**
 * Runs a planned workload against one server: warm-up requests (unmeasured), for w3 the idle
 * phase, then the load phase with every client at once. A failed warm-up request
 * stops the run (UnavailableError); later failures are recorded, not thrown.
 */
export async function runWorkload(client: RerankClient, plan: WorkloadPlan): Promise<WorkloadRun> {
  const prepare = (requests: { query: string; documents: string[] }[]) => requests.map((r) => client.prepare(r.query, r.documents));
  for (const request of prepare(plan.warmup)) {
    const outcome = await client.send(request);
    if (!outcome.ok) throw new UnavailableError(`the warm-up request failed: ${outcome.error ?? 'unknown error'}`);
  }
  const clients = plan.clients.map(prepare);
  const records: RequestRecord[] = [];
  const { interactive } = plan;
  let interactiveSent = 0;
  const nextInteractive = (): PreparedRequest => {
    const planned = interactive!(interactiveSent++);
    return client.prepare(planned.query, planned.documents);
  };

  if (interactive) {
    // The idle phase: one interactive request at a time, at the workload's interval.
    const idleStart = performance.now();
    for (let i = 0; i < plan.options.idleRequests; i++) {
      await sleepUntil(idleStart + i * plan.options.intervalMs);
      records.push({ ...(await client.send(nextInteractive())), role: 'idle' });
    }
  }

  const countersBefore = await scrape(client);
  const residentBytes: number[] = [];
  const sampleMemory = async () => {
    const text = await client.metrics().catch(() => null);
    const bytes = text === null ? undefined : readResidentBytes(text);
    if (bytes !== undefined) residentBytes.push(bytes);
  };
  await sampleMemory();
  const sampler = setInterval(() => void sampleMemory(), MEMORY_SAMPLE_MS);
  const start = performance.now();
  const send = async (role: RequestRole, request: PreparedRequest) => {
    records.push({ ...(await client.send(request)), role });
  };
  let loadDone = false;
  const load = Promise.all(
    clients.map(async (requests) => {
      for (const request of requests) await send('load', request);
    }),
  ).finally(() => (loadDone = true));
  const interactiveCalls: Promise<void>[] = [];
  if (interactive) {
    // Open loop: an interactive request leaves every interval whether or not the last one came
    // back, as users keep typing; waiting for answers would hide the queueing being measured.
    for (let i = 0; !loadDone; i++) {
      interactiveCalls.push(send('interactive', nextInteractive()));
      await Promise.race([load, sleepUntil(start + (i + 1) * plan.options.intervalMs)]);
    }
  }
  await load;
  await Promise.all(interactiveCalls);
  const seconds = (performance.now() - start) / 1000;
  clearInterval(sampler);
  await sampleMemory();
  const countersAfter = await scrape(client);
  return { records, seconds, countersBefore, countersAfter, residentBytes };
}

async function scrape(client: RerankClient): Promise<CounterSnapshot | null> {
  const text = await client.metrics();
  return text === null ? null : readCounters(text);
}

function sleepUntil(time: number): Promise<void> {
  const wait = time - performance.now();
  return wait > 0 ? new Promise((resolve) => setTimeout(resolve, wait)) : Promise.resolve();
}
