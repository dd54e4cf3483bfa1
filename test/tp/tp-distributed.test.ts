import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fixtureModelDir, startRedis, startRerankd, type RedisServer, type RerankdProcess } from '@rerankd/testing';
import { directScores } from '../api/expected-scores';
import { maxDelta } from './cli';

// A tensor-parallel worker group beside a plain worker, behind a gateway, on Redis: losing a rank
// must lose no request (the group stops, its items go back to the queue) and the group's leader
// must exit non-zero for its supervisor to restart it.
const MODEL_NAME = 'qwen3-tiny';
const QUERY = 'how do paged KV caches speed up reranking?';
const documents = (n: number, salt: string) => Array.from({ length: n }, (_, i) => `${salt} document ${i}: ${'tokens and blocks '.repeat(1 + (i % 5))}`);

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

interface RerankBody {
  results: { index: number; relevance_score: number }[];
}

describe('a TP=2 worker group under load loses a rank', () => {
  const model = fixtureModelDir('qwen3-tiny-tied');
  let redis: RedisServer;
  let gateway: RerankdProcess;
  let plain: RerankdProcess;
  const workerArgs = () => ['worker', model, '--served-model-name', MODEL_NAME, '--redis-url', redis.url, '--reclaim-idle-ms', '1500', '--heartbeat-ttl-ms', '3000', '--threads', '1'];
  const rerank = (docs: string[]) =>
    fetch(`${gateway.url}/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL_NAME, query: QUERY, documents: docs }) });
  const pairsScored = async (worker: RerankdProcess) => Number(/^rerankd_worker_pairs_total\{[^}]*\} (\d+)/m.exec(await (await fetch(`${worker.url}/metrics`)).text())?.[1] ?? 0);

  /** Requests while `kill` runs after the first few answers; every one must come back whole and right. */
  async function loadWhile(group: RerankdProcess, kill: () => void | Promise<void>, salt: string): Promise<void> {
    const requests = Array.from({ length: 40 }, (_, r) => documents(10, `${salt}${r}`));
    const expected = await Promise.all(requests.slice(0, 2).map((docs) => directScores(model, QUERY, docs)));
    let answered = 0;
    const pending = requests.map(async (docs) => {
      const response = await rerank(docs);
      answered++;
      return { status: response.status, body: (await response.json()) as RerankBody };
    });
    // The kill comes once the group has scored some of the load, while most of it is still queued.
    while ((await pairsScored(group)) === 0 && answered < requests.length) await sleep(20);
    assert.ok(answered < requests.length, 'the group took part of the load before the kill');
    await kill();
    const outcomes = await Promise.all(pending);
    for (const [r, { status, body }] of outcomes.entries()) {
      assert.equal(status, 200, `request ${r}: ${JSON.stringify(body)}`);
      assert.deepEqual(body.results.map((x) => x.index).sort((a, b) => a - b), Array.from({ length: 10 }, (_, i) => i));
      if (r < expected.length) {
        const byIndex = new Array<number>(10);
        for (const x of body.results) byIndex[x.index] = x.relevance_score;
        maxDelta(byIndex, expected[r] as number[], 1e-4);
      }
    }
  }

  before(async () => {
    redis = await startRedis();
    gateway = await startRerankd(['gateway', '--redis-url', redis.url, '--max-pairs-per-item', '4', '--request-timeout-ms', '60000']);
    plain = await startRerankd(workerArgs(), { portFlag: '--metrics-port' });
  });
  after(async () => {
    await Promise.all([gateway?.stop(), plain?.stop()]);
    await redis?.stop();
  });

  test('ranks across hosts (RERANKD_TP / RERANKD_RANK / RERANKD_PEERS, as the Helm chart sets them): SIGKILL of rank 1', async (t) => {
    const peers = `127.0.0.1:${await freePort()},127.0.0.1:${await freePort()}`;
    const env = (rank: number) => ({ RERANKD_TP: '2', RERANKD_RANK: String(rank), RERANKD_PEERS: peers, RERANKD_TP_LISTEN_HOST: '127.0.0.1' });
    const rank1 = await startRerankd(workerArgs(), { portFlag: '--metrics-port', env: env(1) });
    const rank0 = await startRerankd([...workerArgs(), '--worker-id', 'tp-group'], { portFlag: '--metrics-port', env: env(0) }).catch(async (error: unknown) => {
      await rank1.kill();
      throw error;
    });
    try {
      assert.match(rank0.stderr(), /tensor-parallel group of 2/);
      const exited = once(rank0.child, 'exit');
      await loadWhile(rank0, () => rank1.kill(), 'hosts ');
      const [code] = (await exited) as [number | null];
      assert.equal(code, 1, rank0.stderr());
      assert.match(rank0.stderr(), /tensor-parallel group failed: rank 1 .*(is gone|ended|broke)/);
      t.diagnostic(rank0.stderr().trim().split('\n').slice(-2).join(' | '));
    } finally {
      await Promise.all([rank0.kill(), rank1.kill()]);
    }
  });

  test('a group on one host (rerankd worker --tp 2): SIGKILL of its rank 1 process', async (t) => {
    const group = await startRerankd([...workerArgs(), '--tp', '2', '--worker-id', 'tp-local'], { portFlag: '--metrics-port' });
    try {
      const pid = Number(/tensor-parallel rank 1 pid (\d+)/.exec(group.stderr())?.[1]);
      assert.ok(pid > 0, group.stderr());
      const exited = once(group.child, 'exit');
      await loadWhile(group, () => void process.kill(pid, 'SIGKILL'), 'local ');
      const [code] = (await exited) as [number | null];
      assert.equal(code, 1, group.stderr());
      assert.match(group.stderr(), /tensor-parallel group failed/);
      t.diagnostic(group.stderr().trim().split('\n').slice(-2).join(' | '));
    } finally {
      await group.kill(); // its rank 1 leaves with it: its IPC channel closes
    }
  });
});
