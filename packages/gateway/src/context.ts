import type { WorkQueue } from '@rerankd/queue';
import type { Registry } from 'prom-client';
import type { GatewayConfig } from './config';
import type { Dispatcher } from './dispatch/dispatcher';
import type { ServedModels } from './served-models';

/** What route handlers share. */
export interface GatewayContext {
  queue: WorkQueue;
  config: GatewayConfig;
  dispatcher: Dispatcher;
  served: ServedModels;
  registry: Registry;
  /** Epoch milliseconds. */
  now: () => number;
  newId: () => string;
}
