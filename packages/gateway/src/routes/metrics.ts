import { Router } from 'express';
import type { GatewayContext } from '../context';

export const METRICS_PATHS = ['/metrics'];

/** Prometheus text exposition of the whole registry (the gateway's metrics and whatever else shares it). */
export function metricsRouter(ctx: GatewayContext): Router {
  return Router().get(METRICS_PATHS, async (_req, res) => {
    res.type(ctx.registry.contentType).send(await ctx.registry.metrics());
  });
}
