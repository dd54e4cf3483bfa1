/**
 * The body of the thread that runs the model. onnxruntime-node runs a session synchronously on
 * the thread that calls it; here that is this thread, so the process's event loop (HTTP, queue,
 * tokenizer, heartbeats) keeps answering while a step computes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { KvBlockStore } from '../kv/kv-block-store';
import { createSession } from '../runtime/session';
import { PlanExecutor } from './plan-executor';
import { toThreadError, type ExecutorThreadInit, type FromThread, type ToThread } from './thread-messages';

const port = parentPort;
if (port === null) throw new Error('executor-thread runs as a worker thread only');
const send = (message: FromThread) => port.postMessage(message);
const init = workerData as ExecutorThreadInit;

try {
  const session = await createSession(init.modelPath, init.session);
  const executor = new PlanExecutor(session, init.layout, init.kvShape ? { shape: init.kvShape, store: new KvBlockStore(init.kvShape) } : null);
  port.on('message', (message: ToThread) => {
    if (message.type === 'close') {
      void session.release().finally(() => port.close());
      return;
    }
    executor.execute(message.plan, (logits) => send({ type: 'batch', id: message.id, logits })).then(
      (logits) => send({ type: 'result', id: message.id, logits }),
      (error: unknown) => send({ type: 'step-failed', id: message.id, error: toThreadError(error) }),
    );
  });
  send({ type: 'ready' });
} catch (error) {
  send({ type: 'load-failed', error: toThreadError(error) });
  port.close();
}
