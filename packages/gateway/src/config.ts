import { z } from 'zod';
import packageJson from '../package.json' with { type: 'json' };

/** Everything an operator can tune about a gateway, with the defaults `rerankd` starts with. */
export const GatewayConfigSchema = z.object({
  /** Names clients may send as `model`; any other name is a 404. None: every model a live worker serves. */
  servedModelNames: z.array(z.string().min(1)).default([]),
  /** Accepted as `Authorization: Bearer <key>` or `x-api-key`; none: no authentication. */
  apiKeys: z.array(z.string().min(1)).default([]),
  /**
   * Paths answered without a key: probes and scrapers carry no credentials. Exact paths, as
   * routed (`/health`, not `/health/`); any other spelling of them needs a key.
   */
  publicPaths: z.array(z.string().startsWith('/')).default(['/health', '/ready', '/metrics']),
  limits: z
    .object({
      maxBodyBytes: z.number().int().positive().default(10 * 1024 * 1024),
      maxDocumentsPerRequest: z.number().int().positive().default(1000),
      /** Pairs per work item: smaller items spread one request over more workers. */
      maxPairsPerItem: z.number().int().positive().default(32),
      /** Stamped on every work item as its deadline; the request answers 504 when it passes. */
      requestTimeoutMs: z
        .number()
        .int()
        .positive()
        .max(2 ** 31 - 1) // setTimeout's limit
        .default(60_000),
    })
    .prefault({}),
  /** Reported by `GET /version`. */
  version: z.string().default(packageJson.version),
});
export type GatewayConfigInput = z.input<typeof GatewayConfigSchema>;
export type GatewayConfig = z.output<typeof GatewayConfigSchema>;
export type GatewayLimits = GatewayConfig['limits'];

/** Fills in defaults; throws a ZodError listing the settings that are out of range. */
export function resolveGatewayConfig(input: GatewayConfigInput): GatewayConfig {
  return GatewayConfigSchema.parse(input);
}
