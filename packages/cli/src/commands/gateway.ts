import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { createApp } from '@rerankd/gateway';
import { RedisWorkQueue } from '@rerankd/queue';
import { addGatewayOptions, toGatewayConfig, type GatewayFlags } from '../options/gateway';
import { addRedisOption, type RedisFlags } from '../options/redis';
import { loadApiKeys } from '../runtime/api-key-file';
import { createHttpServer } from '../runtime/http-server';
import { closeServer, listen, onShutdownSignal } from '../runtime/lifecycle';
import { processRegistry } from '../runtime/metrics-registry';
import { registerQueueMetrics } from '../runtime/queue-metrics';

export function registerGateway(program: Command): void {
  addRedisOption(addGatewayOptions(program.command('gateway').description('Stateless HTTP gateway in front of workers, through Redis.'))).action(
    async (flags: GatewayFlags & RedisFlags) => {
      const queue = new RedisWorkQueue({ url: flags.redisUrl, ...(flags.maxQueueLength !== undefined ? { maxQueueLength: flags.maxQueueLength } : {}) });
      const registry = processRegistry();
      registerQueueMetrics(registry, queue);
      // A fresh id per process: a restarted gateway does not read its predecessor's replies.
      const gatewayId = `gw-${randomUUID()}`;
      const apiKeys = loadApiKeys(flags);
      const app = createApp({ queue, gatewayId, config: toGatewayConfig(flags, flags.servedModelName ?? []), registry, apiKeys: apiKeys.keys });
      const server = createHttpServer(app, flags.receiveTimeoutMs);
      const port = await listen(server, flags.port, flags.host);
      process.stderr.write(`rerankd gateway ${gatewayId} on http://${flags.host}:${port}\n`);
      onShutdownSignal(async () => {
        apiKeys.close();
        await closeServer(server);
        await queue.close();
      });
    },
  );
}
