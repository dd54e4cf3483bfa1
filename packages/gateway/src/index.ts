export { createApp, type GatewayDeps } from './app';
export {
  GatewayConfigSchema,
  resolveGatewayConfig,
  type GatewayConfig,
  type GatewayConfigInput,
  type GatewayLimits,
} from './config';
export { createGatewayMetrics, type GatewayMetrics } from './metrics';
export type { Logger } from './logger';
export { ApiKeys } from './middleware/api-key';
