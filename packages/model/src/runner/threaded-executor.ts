import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHARE_ENV, Worker, type WorkerOptions } from 'node:worker_threads';
import type { BatchListener, ModelExecutor, SchedulerOutput } from '@rerankd/engine';
import { UnavailableError } from '@rerankd/protocol';
import { fromThreadError, type ExecutorThreadInit, type FromThread, type ToThread } from './thread-messages';

interface PendingStep {
  onBatch: BatchListener | undefined;
  resolve: (logits: Map<string, number[]>) => void;
  reject: (error: Error) => void;
}

/**
 * A ModelExecutor whose session and KV blocks live in a worker thread (see executor-thread.ts).
 * Steps go in as plans (token ids, block ids) and come back as logits; one runs at a time,
 * since the engine awaits each step before scheduling the next.
 */
export class ThreadedExecutor implements ModelExecutor {
  /** Settles with the reason once the thread is gone while it was still needed. */
  readonly failure: Promise<Error>;
  private readonly pending = new Map<number, PendingStep>();
  private nextId = 0;
  private closing = false;
  private stopped: Error | null = null;
  private readonly exited: Promise<void>;
  private fail: (error: Error) => void = () => {};

  private constructor(private readonly thread: Worker) {
    this.failure = new Promise((resolve) => (this.fail = resolve));
    this.thread.on('message', (message: FromThread) => this.onMessage(message));
    this.thread.on('error', (error) => this.stop(new UnavailableError(`the model runner thread failed: ${error.message}`)));
    this.exited = new Promise((resolve) =>
      this.thread.once('exit', (code) => {
        this.stop(new UnavailableError(`the model runner thread exited (code ${code})`));
        resolve();
      }),
    );
  }

  /** Starts the thread and resolves once its session is open (rejects with why it could not open). */
  static start(init: ExecutorThreadInit): Promise<ThreadedExecutor> {
    const thread = spawnExecutorThread(init);
    return new Promise((resolve, reject) => {
      const onExit = (code: number) => reject(new Error(`the model runner thread exited (code ${code}) before its session opened`));
      thread.once('error', reject);
      thread.once('exit', onExit);
      thread.once('message', (message: FromThread) => {
        thread.off('error', reject);
        thread.off('exit', onExit);
        if (message.type === 'ready') resolve(new ThreadedExecutor(thread));
        else {
          reject(message.type === 'load-failed' ? fromThreadError(message.error) : new Error(`unexpected first message ${message.type}`));
          void thread.terminate();
        }
      });
    });
  }

  execute(plan: SchedulerOutput, onBatch?: BatchListener): Promise<Map<string, number[]>> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { onBatch, resolve, reject });
      this.post({ type: 'execute', id, plan });
    });
  }

  /** Releases the session and ends the thread. */
  async close(): Promise<void> {
    if (this.closing) return this.exited;
    this.closing = true;
    if (!this.stopped) this.post({ type: 'close' });
    await this.exited;
  }

  private post(message: ToThread): void {
    this.thread.postMessage(message);
  }

  private onMessage(message: FromThread): void {
    if (message.type === 'batch') return this.pending.get(message.id)?.onBatch?.(message.logits);
    if (message.type !== 'result' && message.type !== 'step-failed') return;
    const step = this.pending.get(message.id);
    this.pending.delete(message.id);
    if (message.type === 'result') step?.resolve(message.logits);
    else step?.reject(fromThreadError(message.error));
  }

  private stop(error: Error): void {
    if (this.stopped) return;
    this.stopped = error;
    for (const step of this.pending.values()) step.reject(error);
    this.pending.clear();
    if (!this.closing) this.fail(error);
  }
}

/**
 * The thread runs executor-thread beside this file: `.mjs` in a bundle (the bundlers emit it
 * there), `.ts` in the sources, where tsx's loader must be registered in the thread first
 * because worker threads do not inherit it.
 */
function spawnExecutorThread(init: ExecutorThreadInit): Worker {
  const options: WorkerOptions = { workerData: init, env: SHARE_ENV };
  if (extname(fileURLToPath(import.meta.url)) !== '.ts') return new Worker(new URL('./executor-thread.mjs', import.meta.url), options);
  const entry = new URL('./executor-thread.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const source = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(source, { ...options, eval: true });
}
