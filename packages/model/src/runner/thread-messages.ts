import { DeviceError, ModelLoadError } from '@rerankd/protocol';
import type { SchedulerOutput } from '@rerankd/engine';
import type { KvCacheShape } from '../kv/kv-block-store';
import type { SessionOptions } from '../runtime/session';
import type { FeedLayout } from './feeds';

/** What the executor thread needs to open its session and KV store. */
export interface ExecutorThreadInit {
  modelPath: string;
  session: SessionOptions;
  layout: FeedLayout;
  /** Decoders only. */
  kvShape: KvCacheShape | null;
}

/** An error as it crosses the thread boundary; the typed ones a caller acts on keep their type. */
export type ThreadError =
  | { type: 'device'; device: string; problem: string }
  | { type: 'model-load'; file: string; problem: string }
  | { type: 'other'; message: string };

export type ToThread = { type: 'execute'; id: number; plan: SchedulerOutput } | { type: 'close' };

export type FromThread =
  | { type: 'ready' }
  | { type: 'load-failed'; error: ThreadError }
  /** The logits of one batch of a step still running. */
  | { type: 'batch'; id: number; logits: ReadonlyMap<string, readonly number[]> }
  | { type: 'result'; id: number; logits: Map<string, number[]> }
  | { type: 'step-failed'; id: number; error: ThreadError };

export function toThreadError(error: unknown): ThreadError {
  if (error instanceof DeviceError) return { type: 'device', device: error.device, problem: error.problem };
  if (error instanceof ModelLoadError) return { type: 'model-load', file: error.file, problem: error.problem };
  return { type: 'other', message: error instanceof Error ? error.message : String(error) };
}

export function fromThreadError(error: ThreadError): Error {
  switch (error.type) {
    case 'device':
      return new DeviceError(error.device, error.problem);
    case 'model-load':
      return new ModelLoadError(error.file, error.problem);
    case 'other':
      return new Error(error.message);
  }
}
