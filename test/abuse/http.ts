import { request as httpRequest, type Agent, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';

/** One answer as the client saw it: a status, or the connection closed without one. */
export interface RawAnswer {
  /** 0 when the connection closed before an answer came. */
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Milliseconds from the first byte sent to the end of the answer (or of the connection). */
  ms: number;
  /** Why there is no status. */
  error?: string;
}

export interface RawRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

export interface SendOptions {
  agent?: Agent;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Sends one request with node:http (any method, any header, any bytes) and reads the whole
 * answer. Rejects nothing: a dropped connection is an answer with status 0. A kept-alive
 * connection that the server closed as it was being reused is tried again once on a new one,
 * as Node's documentation advises (the server cannot have seen that request).
 */
export async function send(base: string, req: RawRequest, options: SendOptions = {}): Promise<RawAnswer> {
  const answer = await sendOnce(base, req, options);
  if (answer.status === 0 && answer.error?.startsWith('reused connection closed')) {
    const again = await sendOnce(base, req, { ...options, agent: undefined });
    return { ...again, ms: answer.ms + again.ms };
  }
  return answer;
}

function sendOnce(base: string, req: RawRequest, options: SendOptions): Promise<RawAnswer> {
  const url = new URL(base);
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (answer: Omit<RawAnswer, 'ms'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...answer, ms: performance.now() - started });
    };
    let outgoing;
    try {
      outgoing = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          method: req.method,
          path: req.path,
          // Node leaves the length out of a GET with a body, which makes the rest of it read as the next request.
          headers: req.body === undefined ? req.headers : { 'content-length': String(Buffer.byteLength(req.body)), ...req.headers },
          agent: options.agent ?? false,
          timeout: options.timeoutMs ?? 60_000,
          ...(options.signal ? { signal: options.signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => finish({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', (error) => finish({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), error: error.message }));
        },
      );
    } catch (error) {
      // node:http refuses some requests itself (a character it will not put in a header).
      finish({ status: 0, headers: {}, body: Buffer.alloc(0), error: `not sent: ${(error as Error).message}` });
      return;
    }
    outgoing.on('timeout', () => outgoing.destroy(new Error('client timeout: no answer')));
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      const raced = outgoing.reusedSocket && (error.code === 'ECONNRESET' || error.message === 'socket hang up');
      finish({ status: 0, headers: {}, body: Buffer.alloc(0), error: raced ? `reused connection closed: ${error.message}` : error.message });
    });
    outgoing.end(req.body);
  });
}

/** A client that sends the head of a request and `sentBytes` of its body, then nothing, and waits. */
export function stall(
  base: string,
  options: { head: string; sentBytes: string; trickleEveryMs?: number; giveUpMs: number },
): Promise<{ outcome: string; ms: number }> {
  const url = new URL(base);
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    let received = '';
    let trickle: NodeJS.Timeout | undefined;
    const done = (outcome: string) => {
      clearInterval(trickle);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ outcome, ms: performance.now() - started });
    };
    const giveUp = setTimeout(() => done('still open'), options.giveUpMs);
    socket.on('connect', () => {
      socket.write(options.head + options.sentBytes);
      if (options.trickleEveryMs) trickle = setInterval(() => socket.write('x'), options.trickleEveryMs);
    });
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const status = /^HTTP\/1\.1 (\d{3})/.exec(received)?.[1];
      done(status ?? 'closed');
    });
  });
}

/** The value of an unlabelled sample in Prometheus text. */
export function sample(metrics: string, name: string): number {
  const match = new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(metrics);
  if (!match) throw new Error(`no sample ${name} in /metrics`);
  return Number(match[1]);
}

/** The sum of every sample of a metric, whatever its labels. */
export function sumOf(metrics: string, name: string): number {
  let total = 0;
  for (const match of metrics.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm'))) total += Number(match[1]);
  return total;
}

export async function metricsText(base: string): Promise<string> {
  return (await fetch(`${base}/metrics`)).text();
}

export async function residentBytes(base: string): Promise<number> {
  return sample(await metricsText(base), 'rerankd_process_resident_memory_bytes');
}

/** The q-th percentile (0–100) of `values`, nearest-rank. */
export function percentile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((q / 100) * sorted.length) - 1))] as number;
}

export const MiB = 1024 * 1024;

/** Counts by key, printed sorted by key. */
export class Histogram {
  readonly counts = new Map<string, number>();
  add(key: string | number, n = 1): void {
    this.counts.set(String(key), (this.counts.get(String(key)) ?? 0) + n);
  }
  get total(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }
  toString(): string {
    return [...this.counts.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, n]) => `${key}: ${n}`)
      .join(', ');
  }
}

/**
 * How long the soak parts of these suites run: RERANKD_SOAK_SECONDS, else `short` (what CI
 * runs). The report in docs/reliability.md gives the figures of both.
 */
export function soakSeconds(short: number): number {
  const configured = Number(process.env.RERANKD_SOAK_SECONDS);
  return Number.isFinite(configured) && configured > 0 ? configured : short;
}

/** Runs `task` over `items` with at most `concurrency` at once. */
export async function pool<T, R>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T, index);
    }
  });
  await Promise.all(lanes);
  return results;
}

