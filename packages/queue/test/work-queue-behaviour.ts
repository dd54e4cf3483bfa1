import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidRequestError, QueueFullError, UnavailableError, type WorkItem } from '@rerankd/protocol';
import type { ConsumeOptions, WorkQueue } from '../src';
import { ResultInbox, eventually, scored, uniqueModel, uniqueReplyTo, workItem } from './helpers';

export interface QueueUnderTest {
  open(options?: { maxQueueLength?: number }): Promise<WorkQueue>;
  /** Keeps redeliveries quick enough for a test. */
  consumeOptions: ConsumeOptions;
}

/** What every WorkQueue does, whatever holds its items. */
export function workQueueBehaviour(subject: QueueUnderTest): void {
  let opened: WorkQueue[] = [];
  const open = async (options?: { maxQueueLength?: number }) => {
    const queue = await subject.open(options);
    opened.push(queue);
    return queue;
  };
  afterEach(async () => {
    await Promise.all(opened.map((queue) => queue.close()));
    opened = [];
  });

  it('delivers a submitted item to a consumer and its result to the subscriber, then forgets it', async () => {
    const queue = await open();
    const [model, replyTo] = [uniqueModel(), uniqueReplyTo()];
    const inbox = await ResultInbox.open(queue, replyTo);
    const seen: WorkItem[] = [];
    queue.consume(model, 'worker-1', async (item) => (seen.push(item), scored(item, 'worker-1')), subject.consumeOptions);
    const item = workItem(model, replyTo);
    await queue.submit(item);

    assert.deepEqual(await inbox.next(), scored(item, 'worker-1'));
    assert.deepEqual(seen, [item]);
    await eventually(async () => assert.deepEqual(await queue.stats(model), { depth: 0, pending: 0, deadLetters: 0 }));
  });

  it('runs at most batchSize items of one consumer at once', async () => {
    const queue = await open();
    const [model, replyTo] = [uniqueModel(), uniqueReplyTo()];
    const inbox = await ResultInbox.open(queue, replyTo);
    for (let i = 0; i < 6; i++) await queue.submit(workItem(model, replyTo));
    let running = 0;
    let mostAtOnce = 0;
    queue.consume(
      model,
      'worker-1',
      async (item) => {
        mostAtOnce = Math.max(mostAtOnce, ++running);
        await sleep(20);
        running--;
        return scored(item, 'worker-1');
      },
      { ...subject.consumeOptions, batchSize: 2 },
    );
    for (let i = 0; i < 6; i++) assert.equal((await inbox.next()).ok, true);
    assert.equal(mostAtOnce, 2);
  });

  it('drops an item whose deadline has passed without running the handler', async () => {
    const queue = await open();
    const [model, replyTo] = [uniqueModel(), uniqueReplyTo()];
    const inbox = await ResultInbox.open(queue, replyTo);
    const expired = workItem(model, replyTo, { deadline: Date.now() - 1 });
    const live = workItem(model, replyTo);
    await queue.submit(expired);
    await queue.submit(live);
    const seen: string[] = [];
    queue.consume(model, 'worker-1', async (item) => (seen.push(item.itemId), scored(item, 'worker-1')), {
      ...subject.consumeOptions,
      batchSize: 1,
    });

    // Items are taken in order, so once the live one is answered the expired one is gone.
    assert.equal((await inbox.next()).itemId, live.itemId);
    assert.deepEqual(seen, [live.itemId]);
    assert.equal(inbox.received.length, 1);
    await eventually(async () => assert.deepEqual(await queue.stats(model), { depth: 0, pending: 0, deadLetters: 0 }));
  });

  it('drops the waiting items of a cancelled request without running the handler', async () => {
    const queue = await open();
    const [model, replyTo] = [uniqueModel(), uniqueReplyTo()];
    const inbox = await ResultInbox.open(queue, replyTo);
    const deadline = Date.now() + 60_000;
    const cancelled = [0, 1, 2].map((n) => workItem(model, replyTo, { itemId: `gone.${n}`, requestId: 'gone', deadline }));
    const live = workItem(model, replyTo);
    for (const item of [...cancelled, live]) await queue.submit(item);
    await queue.cancel({ requestId: 'gone', model, deadline });
    await queue.cancel({ requestId: 'unknown', model: uniqueModel(), deadline }); // nothing to drop
    const seen: string[] = [];
    queue.consume(model, 'worker-1', async (item) => (seen.push(item.itemId), scored(item, 'worker-1')), {
      ...subject.consumeOptions,
      batchSize: 1,
    });

    assert.equal((await inbox.next()).itemId, live.itemId);
    assert.deepEqual(seen, [live.itemId]);
    await eventually(async () => assert.deepEqual(await queue.stats(model), { depth: 0, pending: 0, deadLetters: 0 }));
    assert.equal(inbox.received.length, 1);
  });

  it('aborts the signal of an item in hand when its request is cancelled, and publishes nothing for it', async () => {
    const queue = await open();
    const [model, replyTo] = [uniqueModel(), uniqueReplyTo()];
    const inbox = await ResultInbox.open(queue, replyTo);
    const deadline = Date.now() + 60_000;
    const gone = workItem(model, replyTo, { itemId: 'gone.0', requestId: 'gone', deadline });
    const live = workItem(model, replyTo);
    const started: string[] = [];
    queue.consume(
      model,
      'worker-1',
      async (item, cancelled) => {
        started.push(item.itemId);
        // The doomed item runs until it is cancelled (or for a while, which fails the test).
        if (item.requestId === 'gone') await Promise.race([new Promise((resolve) => cancelled.addEventListener('abort', resolve)), sleep(3000)]);
        return scored(item, 'worker-1');
      },
      subject.consumeOptions,
    );
    await queue.submit(gone);
    await eventually(async () => assert.deepEqual(started, ['gone.0']));
    await queue.cancel({ requestId: 'gone', model, deadline });
    await queue.submit(live);

    assert.equal((await inbox.next()).itemId, live.itemId);
    await eventually(async () => assert.deepEqual(await queue.stats(model), { depth: 0, pending: 0, deadLetters: 0 }));
    assert.deepEqual(inbox.received.map((r) => r.itemId), [live.itemId], 'nothing is published for the cancelled item');
  });

  it('rejects with QueueFullError once a model holds maxQueueLength items', async () => {
    const queue = await open({ maxQueueLength: 2 });
    const [model, replyTo] = [uniqueModel(), uniqueReplyTo()];
    await queue.submit(workItem(model, replyTo));
    await queue.submit(workItem(model, replyTo));

    await assert.rejects(queue.submit(workItem(model, replyTo)), QueueFullError);
    assert.deepEqual(await queue.stats(model), { depth: 2, pending: 0, deadLetters: 0 });
    await queue.submit(workItem(uniqueModel(), replyTo)); // the limit is per model
  });

  it('fails an item at once with the kind of a typed error its handler throws', async () => {
    const queue = await open();
    const [model, replyTo] = [uniqueModel(), uniqueReplyTo()];
    const inbox = await ResultInbox.open(queue, replyTo);
    let calls = 0;
    queue.consume(
      model,
      'worker-1',
      async () => {
        calls++;
        throw new InvalidRequestError('document 0 is longer than the model allows');
      },
      subject.consumeOptions,
    );
    await queue.submit(workItem(model, replyTo));

    const result = await inbox.next();
    assert.equal(result.ok, false);
    assert.deepEqual(!result.ok && result.error, {
      kind: 'invalid_request',
      message: 'document 0 is longer than the model allows',
    });
    assert.equal(calls, 1);
  });

  it('delivers an item again after an untyped error', async () => {
    const queue = await open();
    const [model, replyTo] = [uniqueModel(), uniqueReplyTo()];
    const inbox = await ResultInbox.open(queue, replyTo);
    let calls = 0;
    queue.consume(
      model,
      'worker-1',
      async (item) => {
        if (++calls === 1) throw new Error('device lost');
        return scored(item, 'worker-1');
      },
      subject.consumeOptions,
    );
    await queue.submit(workItem(model, replyTo));

    assert.equal((await inbox.next()).ok, true);
    assert.equal(calls, 2);
  });

  it('fails an item after maxDeliveries untyped errors and counts it as a dead letter', async () => {
    const queue = await open();
    const [model, replyTo] = [uniqueModel(), uniqueReplyTo()];
    const inbox = await ResultInbox.open(queue, replyTo);
    let calls = 0;
    queue.consume(
      model,
      'worker-1',
      async () => {
        calls++;
        throw new Error('device lost');
      },
      { ...subject.consumeOptions, maxDeliveries: 3 },
    );
    await queue.submit(workItem(model, replyTo));

    const result = await inbox.next();
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.kind, 'dead_letter');
    assert.match(!result.ok ? result.error.message : '', /failed 3 times \(the worker failed while scoring it\)/);
    assert.equal(calls, 3);
    await eventually(async () => assert.deepEqual(await queue.stats(model), { depth: 0, pending: 0, deadLetters: 1 }));
  });

  it('lets a stopping consumer finish the items it holds', async () => {
    const queue = await open();
    const [model, replyTo] = [uniqueModel(), uniqueReplyTo()];
    const inbox = await ResultInbox.open(queue, replyTo);
    let started!: () => void;
    const handlerStarted = new Promise<void>((resolve) => (started = resolve));
    const consumer = queue.consume(
      model,
      'worker-1',
      async (item) => {
        started();
        await sleep(100);
        return scored(item, 'worker-1');
      },
      subject.consumeOptions,
    );
    await queue.submit(workItem(model, replyTo));
    await handlerStarted;
    await consumer.stop();

    assert.deepEqual(await queue.stats(model), { depth: 0, pending: 0, deadLetters: 0 });
    assert.equal((await inbox.next()).ok, true);
  });

  it('lists an announced worker until it leaves', async () => {
    const queue = await open();
    const info = { workerId: `worker-${uniqueModel()}`, model: uniqueModel(), maxModelLen: 8192, startedAt: 1_700_000_000 };
    const leave = await queue.announce(info, 10_000);
    assert.deepEqual((await queue.liveWorkers()).find((worker) => worker.workerId === info.workerId), info);

    await leave();
    assert.equal((await queue.liveWorkers()).find((worker) => worker.workerId === info.workerId), undefined);
  });

  it('answers ping while open and rejects with UnavailableError once closed', async () => {
    const queue = await open();
    await queue.ping();
    await queue.close();
    await assert.rejects(queue.submit(workItem(uniqueModel(), uniqueReplyTo())), UnavailableError);
    await assert.rejects(queue.ping(), UnavailableError);
  });
}
