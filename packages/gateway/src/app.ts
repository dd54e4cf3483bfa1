import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import { NotFoundError } from '@rerankd/protocol';
import { replyChannel, type WorkQueue } from '@rerankd/queue';
import type { Registry } from 'prom-client';
import { resolveGatewayConfig, type GatewayConfigInput } from './config';
import type { GatewayContext } from './context';
import { Dispatcher } from './dispatch/dispatcher';
import { errorHandler } from './error-mapping';
import { consoleLogger, type Logger } from './logger';
import { createGatewayMetrics } from './metrics';
import { ApiKeys, requireApiKey } from './middleware/api-key';
import { httpMetrics } from './middleware/http-metrics';
import { requestContext } from './middleware/request-context';
import { securityHeaders } from './middleware/security-headers';
import { METRICS_PATHS, metricsRouter } from './routes/metrics';
import { MODELS_PATHS, modelsRouter } from './routes/models';
import { PROBE_PATHS, probesRouter } from './routes/probes';
import { RERANK_PATHS, rerankRouter } from './routes/rerank';
import { SCORE_PATHS, scoreRouter } from './routes/score';

export interface GatewayDeps {
  queue: WorkQueue;
  /** Unique among running gateways: it names the reply channel workers answer on. */
  gatewayId: string;
  config: GatewayConfigInput;
  /** Receives the gateway's metrics; `GET /metrics` serves all of it. */
  registry: Registry;
  /** Epoch milliseconds; work item deadlines are stamped from it. */
  now?: () => number;
  newId?: () => string;
  logger?: Logger;
  /**
   * The keys clients must present, when they change while the gateway runs (a key file);
   * without it the keys are `config.apiKeys`.
   */
  apiKeys?: ApiKeys;
}

const KNOWN_PATHS = new Set([...MODELS_PATHS, ...RERANK_PATHS, ...SCORE_PATHS, ...PROBE_PATHS, ...METRICS_PATHS]);

/**
 * The gateway's HTTP app. It starts listening for results on its reply channel at once; a
 * failed subscription is logged and retried by the next request.
 */
export function createApp(deps: GatewayDeps): Express {
  const config = resolveGatewayConfig(deps.config);
  const logger = deps.logger ?? consoleLogger;
  const now = deps.now ?? Date.now;
  const newId = deps.newId ?? randomUUID;
  const dispatcher = new Dispatcher({
    queue: deps.queue,
    replyTo: replyChannel(deps.gatewayId),
    maxPairsPerItem: config.limits.maxPairsPerItem,
    requestTimeoutMs: config.limits.requestTimeoutMs,
    now,
    newId,
  });
  dispatcher.subscribe().catch((error: unknown) => logger.error('Subscribing to work results failed', error));
  const served = { configured: config.servedModelNames, queue: deps.queue };
  const ctx: GatewayContext = { queue: deps.queue, config, dispatcher, served, registry: deps.registry, now, newId };

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  // Headers and the request id first, so that every answer carries them, refusals included.
  app.use(securityHeaders(), requestContext(newId));
  app.use(httpMetrics(createGatewayMetrics(deps.registry), KNOWN_PATHS));
  app.use(requireApiKey(deps.apiKeys ?? new ApiKeys(config.apiKeys), new Set(config.publicPaths)));
  // Every body is read as JSON whatever its Content-Type: `curl -d` labels JSON as a form.
  app.use(express.json({ limit: config.limits.maxBodyBytes, type: () => true }));
  app.use(modelsRouter(ctx), rerankRouter(ctx), scoreRouter(ctx), probesRouter(ctx), metricsRouter(ctx));
  app.use((req) => {
    throw new NotFoundError(`No route for ${req.method} ${req.path}.`);
  });
  app.use(errorHandler(logger, config.limits.maxBodyBytes));
  return app;
}
