import type { Command } from 'commander';
import type { ConsumeOptions } from '@rerankd/queue';
import { option, positiveInt } from './define';

export interface WorkerFlags {
  workerId?: string;
  reclaimIdleMs?: number;
  maxDeliveries?: number;
  concurrentItems?: number;
  heartbeatTtlMs?: number;
}

/** Flags of the queue consumer a worker runs. */
export function addWorkerOptions(command: Command): Command {
  return command
    .addOption(option('--worker-id <id>', 'name of this worker in the queue and metrics (default: host-pid)'))
    .addOption(option('--reclaim-idle-ms <n>', 'items left this long by a dead worker are taken over').argParser(positiveInt('--reclaim-idle-ms')))
    .addOption(option('--max-deliveries <n>', 'deliveries before an item goes to the dead-letter stream').argParser(positiveInt('--max-deliveries')))
    .addOption(option('--concurrent-items <n>', 'work items held at once in each lane (interactive, bulk): the engine batches and orders the pairs of all of them').argParser(positiveInt('--concurrent-items')).default(16))
    .addOption(option('--heartbeat-ttl-ms <n>', 'a worker silent this long is no longer listed').argParser(positiveInt('--heartbeat-ttl-ms')));
}

export function toConsumeOptions(flags: WorkerFlags): ConsumeOptions {
  const options: ConsumeOptions = {};
  if (flags.reclaimIdleMs !== undefined) options.reclaimIdleMs = flags.reclaimIdleMs;
  if (flags.maxDeliveries !== undefined) options.maxDeliveries = flags.maxDeliveries;
  if (flags.concurrentItems !== undefined) options.batchSize = flags.concurrentItems;
  return options;
}
