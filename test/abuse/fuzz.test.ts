import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { fixtureModelDir, makeTempDir, startRerankd, type RerankdProcess } from '@rerankd/testing';
import { heavyRequests, hostileRequests, type HostileRequest } from './hostile-requests';
import { Histogram, MiB, metricsText, pool, residentBytes, sample, send, stall, sumOf, type RawAnswer } from './http';

const MODEL = 'bert-tiny';
const KEY = `fuzz-key-${randomUUID()}`;
const MAX_BODY_BYTES = 10 * MiB; // the default
const RECEIVE_TIMEOUT_MS = 2000;
/** RERANKD_FUZZ_REQUESTS generated requests (default 10,000), from RERANKD_FUZZ_SEED (default: a new seed, printed). */
const REQUESTS = Number(process.env.RERANKD_FUZZ_REQUESTS ?? 10_000);
const SEED = process.env.RERANKD_FUZZ_SEED !== undefined ? Number(process.env.RERANKD_FUZZ_SEED) : Date.now() % 2 ** 31;
const CONCURRENCY = 16;

/** What an error body must never hold: stack frames, source locations, paths of this machine. */
const LEAKS = /\bat [^\s]+ \(|\bat (?:file:|node:|\/)|node_modules|\/work\/|\/home\/|\/tmp\/|\.[cm]?[jt]s:\d+|\bstack\b|Error: /;

/** HTTP requests the server is still working on, leaving out the scrape that asks. */
function inFlight(metrics: string): number {
  let total = 0;
  for (const match of metrics.matchAll(/^rerankd_http_requests_in_flight\{route="([^"]*)"[^}]*\} (\d+)$/gm)) {
    if (match[1] !== '/metrics') total += Number(match[2]);
  }
  return total;
}

/** What is wrong with `answer` to `req`, if anything. */
function problemWith(req: HostileRequest, answer: RawAnswer): string | undefined {
  if (answer.status >= 500) return `${answer.status} ${answer.body.toString('utf8').slice(0, 300)}`;
  if (!req.allowed.includes(answer.status)) {
    return `status ${answer.status}${answer.error ? ` (${answer.error})` : ''}, allowed ${req.allowed.join('/')}: ${answer.body.toString('utf8').slice(0, 300)}`;
  }
  if (answer.status === 0) return undefined;
  // Node's HTTP parser answers what never reaches the app (a 20 KB header: 431) without our headers.
  const fromApp = answer.headers['x-request-id'] !== undefined;
  if (!fromApp) return [400, 408, 413, 431].includes(answer.status) ? undefined : `answer ${answer.status} without X-Request-Id`;
  if (answer.headers['x-content-type-options'] !== 'nosniff') return 'no X-Content-Type-Options: nosniff';
  if (answer.headers['cache-control'] !== 'no-store') return `Cache-Control ${String(answer.headers['cache-control'])}`;
  if (answer.headers['x-powered-by'] !== undefined) return 'X-Powered-By present';
  const text = answer.body.toString('utf8');
  if (answer.status >= 400 && req.method !== 'HEAD') {
    if (!String(answer.headers['content-type']).startsWith('application/json')) return `error ${answer.status} is not JSON`;
    const body = JSON.parse(text) as { error?: { message?: unknown; type?: unknown; param?: unknown; code?: unknown } };
    const error = body.error;
    if (!error || typeof error.message !== 'string' || typeof error.type !== 'string' || error.code !== answer.status || !('param' in error)) {
      return `error body of the wrong shape: ${text.slice(0, 300)}`;
    }
    if (LEAKS.test(error.message)) return `error message leaks internals: ${error.message.slice(0, 300)}`;
  }
  if (answer.status === 200 && req.method !== 'HEAD' && String(answer.headers['content-type']).startsWith('application/json')) JSON.parse(text);
  return req.check?.(answer);
}

function verify(req: HostileRequest, answer: RawAnswer): string | undefined {
  try {
    return problemWith(req, answer);
  } catch (error) {
    return `unreadable answer ${answer.status} (${(error as Error).message}): ${answer.body.toString('utf8').slice(0, 200)}`;
  }
}

describe('hostile requests against rerankd serve', { timeout: 15 * 60_000 }, () => {
  let server: RerankdProcess;
  // Made here, not in before(): there it would be removed as soon as the hook returns.
  const keyFile = join(makeTempDir('fuzz'), 'keys');

  before(async () => {
    writeFileSync(keyFile, `# fuzz\n${KEY}\n`);
    server = await startRerankd([
      'serve', fixtureModelDir('bert-tiny-ce'), '--served-model-name', MODEL, '--threads', '1',
      '--api-key-file', keyFile, '--receive-timeout-ms', String(RECEIVE_TIMEOUT_MS),
    ]);
  });
  after(() => server?.stop());

  test(`${REQUESTS} generated requests on every endpoint: 4xx JSON or 200, never a 5xx or a crash; memory comes back`, async (t) => {
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const valid = { method: 'POST', path: '/v1/rerank', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' } };
    const warmUp = (n: number) =>
      pool(Array.from({ length: n }, (_, i) => i), 4, (i) => send(server.url, { ...valid, body: JSON.stringify({ query: `q${i}`, documents: ['a', `b ${i}`] }) }, { agent }));
    // The baseline is taken once the server has seen traffic of this kind (compiled code,
    // allocator and ORT arenas at their working size): 1,000 generated requests from another seed.
    const options = { key: KEY, model: MODEL, maxBodyBytes: MAX_BODY_BYTES };
    await pool(fc.sample(hostileRequests(options), { numRuns: 1000, seed: SEED + 1 }), CONCURRENCY, (req) => send(server.url, req, { agent }));
    await warmUp(100);
    const baseline = await residentBytes(server.url);

    let peak = baseline;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await residentBytes(server.url).catch(() => 0));
        await sleep(500);
      }
    })();

    const generated = fc.sample(hostileRequests(options), { numRuns: REQUESTS, seed: SEED });
    // The heavy ones once each, spread through the run.
    const heavy = heavyRequests(options);
    const requests = [...generated];
    heavy.forEach((req, i) => requests.splice(Math.floor(((i + 1) * requests.length) / (heavy.length + 1)), 0, req));

    // Clients that stall or trickle while the rest goes on.
    const head = (length: number) => `POST /v1/rerank HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
    const giveUpMs = RECEIVE_TIMEOUT_MS * 5 + 5000;
    const stalled = Promise.all([
      stall(server.url, { head: head(1000), sentBytes: '{"query":', giveUpMs }),
      stall(server.url, { head: head(100_000), sentBytes: '{"query":"q","documents":["', trickleEveryMs: 200, giveUpMs }),
      stall(server.url, { head: 'POST /v1/rerank HTTP/1.1\r\nHost: x\r\n', sentBytes: 'X-Slow: 1\r\n', trickleEveryMs: 300, giveUpMs }),
      stall(server.url, { head: '', sentBytes: '', giveUpMs }),
    ]);

    const statuses = new Histogram();
    const failures: string[] = [];
    const started = performance.now();
    await pool(requests, CONCURRENCY, async (req) => {
      // Requests Node refuses to send or whose connections a 413/431 cuts go without the agent.
      const answer = await send(server.url, req, { agent: req.label.startsWith('heavy') ? undefined : agent, timeoutMs: 60_000 });
      statuses.add(answer.status === 0 ? 'closed' : answer.status);
      const problem = verify(req, answer);
      if (problem && failures.length < 25) failures.push(`${req.label}: ${req.method} ${req.path.slice(0, 80)}: ${problem}`);
    });
    const seconds = (performance.now() - started) / 1000;
    const slow = await stalled;
    sampling = false;
    await sampler;
    agent.destroy();

    // Memory once the abuse is over: a little ordinary traffic, as a live server would see.
    await sleep(2000);
    await warmUp(100);
    const settled = await residentBytes(server.url);
    const metrics = await metricsText(server.url);
    const heapUsed = sample(metrics, 'rerankd_nodejs_heap_size_used_bytes');
    const external = sample(metrics, 'rerankd_nodejs_external_memory_bytes');

    const fiveXx = [...statuses.counts.entries()].filter(([status]) => status.startsWith('5')).reduce((n, [, c]) => n + c, 0);
    t.diagnostic(`fuzz: ${requests.length} requests (${REQUESTS} generated, seed ${SEED}, ${heavy.length} heavy) in ${seconds.toFixed(1)} s, ${CONCURRENCY} at once`);
    t.diagnostic(`fuzz: statuses ${statuses.toString()}; 5xx: ${fiveXx}`);
    t.diagnostic(`fuzz: stalled clients ended by ${slow.map((s) => `${s.outcome} after ${(s.ms / 1000).toFixed(1)} s`).join(', ')} (receive timeout ${RECEIVE_TIMEOUT_MS / 1000} s)`);
    t.diagnostic(
      `fuzz: RSS baseline ${(baseline / MiB).toFixed(0)} MiB, peak ${(peak / MiB).toFixed(0)} MiB, after ${(settled / MiB).toFixed(0)} MiB; JS heap used after ${(heapUsed / MiB).toFixed(0)} MiB, external ${(external / MiB).toFixed(0)} MiB`,
    );

    assert.deepEqual(failures, [], `seed ${SEED}: reproduce with RERANKD_FUZZ_SEED=${SEED}`);
    assert.equal(fiveXx, 0);
    assert.equal(server.child.exitCode, null, 'the server is still running');
    assert.equal((await fetch(`${server.url}/health`)).status, 200);
    for (const { outcome, ms } of slow) {
      assert.ok(['408', 'closed'].includes(outcome), `a stalled client was ${outcome} after ${ms} ms`);
    }
    // V8 keeps the heap it grew to for a while: near, not at, the baseline; and nothing left behind.
    assert.ok(settled <= baseline + 128 * MiB, `RSS ${settled} after the run, ${baseline} before`);
    assert.equal(inFlight(metrics), 0, 'no request is left in flight');
    assert.equal(sumOf(metrics, 'rerankd_queue_depth') + sumOf(metrics, 'rerankd_queue_pending'), 0, 'no work item is left queued');
  });
});
