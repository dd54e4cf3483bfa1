import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { QueueFullError, UnavailableError } from '@rerankd/protocol';
import { startRedis, type RedisServer } from '@rerankd/testing';
import { RedisWorkQueue, WORKER_GROUP, deadLetterStreamKey, workStreamKey, type RedisWorkQueueOptions } from '../src';
import { ResultInbox, eventually, scored, uniqueModel, uniqueReplyTo, workItem } from './helpers';
import { workQueueBehaviour } from './work-queue-behaviour';

// Short blocking reads keep consumers quick to stop; short idle limits keep reclaims quick.
const FAST = { readBlockMs: 100 } satisfies Partial<RedisWorkQueueOptions>;
const RECLAIM_IDLE_MS = 200;

describe('RedisWorkQueue', { timeout: 20_000 }, () => {
  let redis: RedisServer;
  let raw: Redis;
  let queues: RedisWorkQueue[] = [];
  const open = (options: Partial<RedisWorkQueueOptions> = {}) => {
    const queue = new RedisWorkQueue({ url: redis.url, ...FAST, ...options });
    queues.push(queue);
    return queue;
  };

  before(async () => {
    redis = await startRedis();
    raw = new Redis(redis.url);
  });
  afterEach(async () => {
    await Promise.all(queues.map((queue) => queue.close()));
    queues = [];
  });
  after(async () => {
    raw.disconnect();
    await redis.stop();
  });

  describe('as a WorkQueue', () => {
    workQueueBehaviour({
      open: async (options) => new RedisWorkQueue({ url: redis.url, ...FAST, ...options }),
      consumeOptions: { reclaimIdleMs: RECLAIM_IDLE_MS, maxDeliveries: 3, batchSize: 4 },
    });
  });

  /** Takes the model's next item as a consumer that then dies without acknowledging it. */
  async function takeAndDie(model: string, consumer: string): Promise<void> {
    await raw.xgroup('CREATE', workStreamKey(model), WORKER_GROUP, '0', 'MKSTREAM').catch(() => undefined);
    await raw.xreadgroup('GROUP', WORKER_GROUP, consumer, 'COUNT', 1, 'STREAMS', workStreamKey(model), '>');
  }

  it('reclaims an item from a consumer that died holding it', async () => {
    const queue = open();
    const [model, replyTo] = [uniqueModel(), uniqueReplyTo()];
    const inbox = await ResultInbox.open(queue, replyTo);
    const item = workItem(model, replyTo);
    await queue.submit(item);
    await takeAndDie(model, 'crashed-worker');
    assert.deepEqual(await queue.stats(model), { depth: 0, pending: 1, deadLetters: 0 });

    queue.consume(model, 'live-worker', async (taken) => scored(taken, 'live-worker'), { reclaimIdleMs: RECLAIM_IDLE_MS });
    assert.deepEqual(await inbox.next(), scored(item, 'live-worker'));
    await eventually(async () => assert.deepEqual(await queue.stats(model), { depth: 0, pending: 0, deadLetters: 0 }));
  });

  it('moves an item whose consumers keep dying to the dead letters and fails its request', async () => {
    const queue = open();
    const [model, replyTo] = [uniqueModel(), uniqueReplyTo()];
    const inbox = await ResultInbox.open(queue, replyTo);
    const item = workItem(model, replyTo);
    await queue.submit(item);
    await takeAndDie(model, 'crashed-worker-1');
    const [[id]] = (await raw.xpending(workStreamKey(model), WORKER_GROUP, '-', '+', 1)) as [[string]];
    await raw.xclaim(workStreamKey(model), WORKER_GROUP, 'crashed-worker-2', 0, id); // its second delivery

    let calls = 0;
    queue.consume(model, 'live-worker', async (taken) => (calls++, scored(taken, 'live-worker')), {
      reclaimIdleMs: RECLAIM_IDLE_MS,
      maxDeliveries: 2,
    });
    const result = await inbox.next();
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.kind, 'dead_letter');
    assert.match(!result.ok ? result.error.message : '', new RegExp(`${item.itemId}.*failed 2 times`));
    assert.equal(calls, 0);

    await eventually(async () => assert.deepEqual(await queue.stats(model), { depth: 0, pending: 0, deadLetters: 1 }));
    const [[, fields]] = (await raw.xrange(deadLetterStreamKey(model), '-', '+')) as [[string, string[]]];
    assert.deepEqual(JSON.parse(fields[fields.indexOf('item') + 1] as string), item);
  });

  it('takes an interactive item while bulk items fill the hand, and counts both lanes', async () => {
    const queue = open({ maxQueueLength: 3 });
    const [model, replyTo] = [uniqueModel(), uniqueReplyTo()];
    const inbox = await ResultInbox.open(queue, replyTo);
    let releaseBulk!: () => void;
    const bulkReleased = new Promise<void>((resolve) => (releaseBulk = resolve));
    queue.consume(
      model,
      'worker-1',
      async (item) => {
        if (item.lane !== 'interactive') await bulkReleased;
        return scored(item, 'worker-1');
      },
      { reclaimIdleMs: RECLAIM_IDLE_MS, batchSize: 1 },
    );
    const [first, second] = [workItem(model, replyTo), workItem(model, replyTo)];
    const small = workItem(model, replyTo, { lane: 'interactive' });
    await queue.submit(first);
    await queue.submit(second);
    await queue.submit(small);
    // The backlog limit covers every lane of the model.
    await assert.rejects(queue.submit(workItem(model, replyTo, { lane: 'interactive' })), QueueFullError);

    assert.equal((await inbox.next()).itemId, small.itemId, 'the interactive item does not wait for the bulk ones');
    // Acknowledged just after its result is published: one bulk item in hand, one waiting.
    await eventually(async () => assert.deepEqual(await queue.stats(model), { depth: 1, pending: 1, deadLetters: 0 }));
    releaseBulk();
    assert.deepEqual([(await inbox.next()).itemId, (await inbox.next()).itemId], [first.itemId, second.itemId]);
    await eventually(async () => assert.deepEqual(await queue.stats(model), { depth: 0, pending: 0, deadLetters: 0 }));
  });

  it('never reclaims an item from a live consumer that is merely slow', async () => {
    const queue = open();
    const [model, replyTo] = [uniqueModel(), uniqueReplyTo()];
    const inbox = await ResultInbox.open(queue, replyTo);
    const calls: string[] = [];
    const slowHandler = (workerId: string) => async (item: typeof taken) => {
      calls.push(workerId);
      await sleep(RECLAIM_IDLE_MS * 4);
      return scored(item, workerId);
    };
    const taken = workItem(model, replyTo);
    queue.consume(model, 'slow-worker', slowHandler('slow-worker'), { reclaimIdleMs: RECLAIM_IDLE_MS });
    await queue.submit(taken);
    await eventually(async () => assert.equal(calls.length, 1));
    queue.consume(model, 'idle-worker', slowHandler('idle-worker'), { reclaimIdleMs: RECLAIM_IDLE_MS });

    assert.equal((await inbox.next()).workerId, 'slow-worker');
    assert.deepEqual(calls, ['slow-worker']);
  });

  it('fails fast while Redis is down and works again once it is back, without a new queue', async () => {
    const own = await startRedis();
    try {
      const queue = open({ url: own.url });
      const [model, replyTo] = [uniqueModel(), uniqueReplyTo()];
      const inbox = await ResultInbox.open(queue, replyTo);
      queue.consume(model, 'worker-1', async (item) => scored(item, 'worker-1'), { reclaimIdleMs: RECLAIM_IDLE_MS });
      await queue.submit(workItem(model, replyTo));
      assert.equal((await inbox.next()).ok, true);

      await own.kill();
      const started = Date.now();
      await assert.rejects(queue.submit(workItem(model, replyTo)), UnavailableError);
      assert.ok(Date.now() - started < 2000, `submit took ${Date.now() - started} ms to fail`);
      await assert.rejects(queue.ping(), UnavailableError);

      await own.restart();
      const item = workItem(model, replyTo);
      await eventually(() => queue.submit(item));
      // The consumer made its group again and the subscriber reconnected, both by themselves.
      assert.equal((await inbox.next()).itemId, item.itemId);
    } finally {
      await own.stop();
    }
  });

  it('lists a worker while it beats and drops it once its TTL passes without a beat', async () => {
    const observer = open();
    const worker = open();
    const info = { workerId: `worker-${uniqueModel()}`, model: uniqueModel(), maxModelLen: 512, startedAt: 1_700_000_000 };
    const isListed = async () => (await observer.liveWorkers()).some((live) => live.workerId === info.workerId);
    await worker.announce(info, 300);
    await sleep(700); // past the TTL: only heartbeats keep it listed
    assert.equal(await isListed(), true);

    await worker.close(); // heartbeats stop as they would in a crash; the key is left to expire
    await eventually(async () => assert.equal(await isListed(), false), 2000);
  });

  it('connects with the password in the URL, and reports a wrong one as unavailable', async () => {
    const secured = await startRedis({ password: 's3cret:/@' });
    try {
      const queue = open({ url: secured.url });
      await queue.ping();
      await queue.submit(workItem('secured-model', uniqueReplyTo()));
      assert.equal((await queue.stats('secured-model')).depth, 1);

      const wrong = open({ url: `redis://:wrong@127.0.0.1:${secured.port}` });
      await assert.rejects(wrong.ping(), UnavailableError);
    } finally {
      await Promise.all(queues.map((queue) => queue.close()));
      await secured.stop();
    }
  });
});
