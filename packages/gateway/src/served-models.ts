import { InvalidRequestError, NotFoundError, UnavailableError } from '@rerankd/protocol';
import type { WorkerInfo, WorkQueue } from '@rerankd/queue';

/**
 * Which models this gateway serves: the names it was configured with, or, when it was given
 * none (a gateway in front of a cluster), every model that has a live worker.
 */
export interface ServedModels {
  configured: string[];
  queue: WorkQueue;
}

/** Live workers of each served model; models without one are absent. */
export async function liveWorkersByModel({ configured, queue }: ServedModels): Promise<Map<string, WorkerInfo[]>> {
  const byModel = new Map<string, WorkerInfo[]>();
  for (const worker of await queue.liveWorkers()) {
    if (configured.length > 0 && !configured.includes(worker.model)) continue;
    byModel.set(worker.model, [...(byModel.get(worker.model) ?? []), worker]);
  }
  return byModel;
}

export interface LiveModel {
  name: string;
  /** The smallest limit in tokens among its live workers. */
  maxModelLen: number;
}

/**
 * The served model a request names (without a name, the only one served), checked to have a
 * live worker: an unknown name is a 404, a known one without workers a 503.
 */
export async function resolveLiveModel(requested: string | null | undefined, served: ServedModels): Promise<LiveModel> {
  const live = await liveWorkersByModel(served);
  const names = served.configured.length > 0 ? served.configured : [...live.keys()];
  let model: string;
  if (requested != null) {
    if (!names.includes(requested)) throw new NotFoundError(`The model \`${requested}\` does not exist.`, 'model');
    model = requested;
  } else {
    const [only, ...others] = names;
    if (only === undefined) throw new UnavailableError('No worker is serving any model right now.');
    if (others.length > 0) throw new InvalidRequestError(`model is required: this server serves ${names.join(', ')}.`, 'model');
    model = only;
  }
  const workers = live.get(model);
  if (!workers) throw new UnavailableError(`No worker is serving model \`${model}\` right now.`);
  return { name: model, maxModelLen: Math.min(...workers.map((worker) => worker.maxModelLen)) };
}
