import { Router } from 'express';
import { UnavailableError } from '@rerankd/protocol';
import type { GatewayContext } from '../context';
import type { ReadinessResponse, VersionResponse } from '@rerankd/protocol';
import { liveWorkersByModel } from '../served-models';

export const PROBE_PATHS = ['/health', '/ready', '/version'];

/**
 * `/health`: the process answers (an empty 200, as vLLM and TEI). `/ready`: requests can be
 * served: results can reach this gateway, the queue answers and some served model has a worker.
 */
export function probesRouter(ctx: GatewayContext): Router {
  return Router()
    .get('/health', (_req, res) => {
      res.status(200).end();
    })
    .get('/ready', async (_req, res) => {
      await ctx.dispatcher.subscribe();
      await ctx.queue.ping();
      const live = await liveWorkersByModel(ctx.served);
      if (live.size === 0) throw new UnavailableError('No served model has a live worker.');
      const ready: ReadinessResponse = { status: 'ready', models: [...live.keys()] };
      res.json(ready);
    })
    .get('/version', (_req, res) => {
      const version: VersionResponse = { version: ctx.config.version };
      res.json(version);
    });
}
