import { setImmediate as nextTurn } from 'node:timers/promises';
import { UnavailableError } from '@rerankd/protocol';
import type { ModelExecutor } from './model-executor';
import type { RequestInput } from './request';
import type { FinishedRequest, SchedulerOutput } from './scheduler/output';
import type { Scheduler } from './scheduler/scheduler';
import type { EngineStats } from './stats';
import { WakeSignal } from './wake-signal';

export interface EngineCoreOptions {
  scheduler: Scheduler;
  executor: ModelExecutor;
}

export interface EngineStepResult {
  plan: SchedulerOutput;
  /** Requests that left the engine in this step. */
  finished: FinishedRequest[];
  stats: EngineStats;
  /** Wall time of the step: scheduling, execution and update. */
  seconds: number;
}

export type StepListener = (result: EngineStepResult) => void;

/**
 * The step loop: schedule, execute, update. Each request's promise settles with how it left the
 * engine (scored, expired, aborted or failed); only a request that cannot be accepted rejects.
 */
export class EngineCore {
  private readonly scheduler: Scheduler;
  private readonly executor: ModelExecutor;
  private readonly waiters = new Map<string, (finished: FinishedRequest) => void>();
  private readonly wake = new WakeSignal();
  private readonly stepListeners = new Set<StepListener>();
  private latestStats: EngineStats;
  private stepping = false;
  private closed = false;
  private loop: Promise<void> | null = null;

  constructor(options: EngineCoreOptions) {
    this.scheduler = options.scheduler;
    this.executor = options.executor;
    this.latestStats = this.scheduler.makeStats(null);
  }

  /** Stats as of the last step. */
  get stats(): EngineStats {
    return this.latestStats;
  }

  addRequest(input: RequestInput): Promise<FinishedRequest> {
    if (this.closed) return Promise.reject(new UnavailableError('the engine is shut down'));
    try {
      this.scheduler.addRequest(input);
    } catch (error) {
      return Promise.reject(error);
    }
    const finished = new Promise<FinishedRequest>((resolve) => this.waiters.set(input.requestId, resolve));
    this.wake.notify();
    return finished;
  }

  /** Called after every step that ran pairs (for metrics); returns an unsubscribe. */
  onStep(listener: StepListener): () => void {
    this.stepListeners.add(listener);
    return () => this.stepListeners.delete(listener);
  }

  /** Ends a request now (its promise settles as aborted); false when it is not in the engine. */
  abort(requestId: string): boolean {
    if (!this.scheduler.abortRequest(requestId)) return false;
    this.deliver({ requestId, status: 'aborted' });
    return true;
  }

  /** Runs one step. A failing executor fails that step's requests, not the engine. */
  async step(): Promise<EngineStepResult> {
    if (this.stepping) throw new Error('a step is already running');
    this.stepping = true;
    try {
      const started = performance.now();
      const plan = this.scheduler.schedule();
      const finished = plan.numScheduledPairs === 0 ? this.scheduler.updateFromOutput(plan, new Map()) : await this.execute(plan);
      this.latestStats = this.scheduler.makeStats(plan);
      for (const request of finished) this.deliver(request);
      const result = { plan, finished, stats: this.latestStats, seconds: (performance.now() - started) / 1000 };
      if (plan.numScheduledPairs > 0) for (const listener of this.stepListeners) listener(result);
      return result;
    } finally {
      this.stepping = false;
    }
  }

  /** Steps while there is work and sleeps while there is none, until shutdown(). */
  run(): Promise<void> {
    this.loop ??= this.loopUntilClosed();
    return this.loop;
  }

  /** Stops the loop after its current step and aborts every request still in the engine. */
  async shutdown(): Promise<void> {
    this.closed = true;
    this.wake.notify();
    await this.loop;
    for (const requestId of [...this.waiters.keys()]) this.abort(requestId);
  }

  private async loopUntilClosed(): Promise<void> {
    while (!this.closed) {
      if (this.scheduler.hasUnfinishedRequests()) {
        await this.step();
        // Let arrivals, aborts and I/O in between steps even when the executor answers at once.
        await nextTurn();
      } else {
        await this.wake.wait();
      }
    }
  }

  private async execute(plan: SchedulerOutput): Promise<FinishedRequest[]> {
    // Requests whose last pair ran in an early batch of the step leave at once.
    const early: FinishedRequest[] = [];
    const onBatch = (logits: ReadonlyMap<string, readonly number[]>) => {
      for (const request of this.scheduler.updateFromBatch(plan, logits)) {
        early.push(request);
        this.deliver(request);
      }
    };
    try {
      const logits = await this.executor.execute(plan, onBatch);
      return [...early, ...this.scheduler.updateFromOutput(plan, logits)];
    } catch (error) {
      return [...early, ...this.scheduler.failStep(plan, error instanceof Error ? error : new Error(String(error)))];
    }
  }

  private deliver(finished: FinishedRequest): void {
    const resolve = this.waiters.get(finished.requestId);
    this.waiters.delete(finished.requestId);
    resolve?.(finished);
  }
}
