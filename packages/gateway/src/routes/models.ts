import { Router } from 'express';
import type { WorkerInfo } from '@rerankd/queue';
import type { GatewayContext } from '../context';
import type { ModelCard, ModelList } from '@rerankd/protocol';
import { liveWorkersByModel } from '../served-models';

export const MODELS_PATHS = ['/v1/models'];

/** vLLM's card for a base model, dated by its longest-running worker. */
function modelCard(ctx: GatewayContext, model: string, workers: WorkerInfo[]): ModelCard {
  const created = Math.min(...workers.map((worker) => worker.startedAt));
  return {
    id: model,
    object: 'model',
    created,
    owned_by: 'rerankd',
    root: model,
    parent: null,
    max_model_len: Math.min(...workers.map((worker) => worker.maxModelLen)),
    permission: [
      {
        id: `modelperm-${ctx.newId()}`,
        object: 'model_permission',
        created,
        allow_create_engine: false,
        allow_sampling: true,
        allow_logprobs: true,
        allow_search_indices: false,
        allow_view: true,
        allow_fine_tuning: false,
        organization: '*',
        group: null,
        is_blocking: false,
      },
    ],
  };
}

/** `GET /v1/models`: the served models that have a live worker. */
export function modelsRouter(ctx: GatewayContext): Router {
  return Router().get(MODELS_PATHS, async (_req, res) => {
    const live = await liveWorkersByModel(ctx.served);
    const list: ModelList = {
      object: 'list',
      data: [...live].map(([model, workers]) => modelCard(ctx, model, workers)),
    };
    res.json(list);
  });
}
