import type { Command } from 'commander';
import { addGatewayOptions, toGatewayConfig, type GatewayFlags } from '../options/gateway';
import { addModelOptions, modelArgument, noticeIgnoredFlags, toLoadOptions, type ModelFlags } from '../options/model';
import { loadApiKeys } from '../runtime/api-key-file';
import { startEmbeddedServer } from '../runtime/embedded-server';
import { onShutdownSignal } from '../runtime/lifecycle';
import { tensorParallelSize } from '../runtime/tensor-parallel';

/** Default model of `rerankd serve` with no model given. */
export const DEFAULT_MODEL = 'Qwen/Qwen3-Reranker-0.6B';

export function registerServe(program: Command): void {
  addGatewayOptions(
    addModelOptions(
      program
        .command('serve')
        .description('Gateway and one worker in one process: no Redis, nothing else to run.')
        .argument('[model]', `model directory or Hugging Face hub id (default: ${DEFAULT_MODEL})`),
    ),
  ).action(async (positional: string | undefined, flags: ModelFlags & GatewayFlags) => {
    noticeIgnoredFlags(flags);
    const model = modelArgument(positional ?? (flags.model ? undefined : DEFAULT_MODEL), flags);
    const servedModelNames = flags.servedModelName?.length ? flags.servedModelName : [model];
    const apiKeys = loadApiKeys(flags);
    const server = await startEmbeddedServer({
      load: toLoadOptions(model, flags),
      servedModelNames,
      gateway: toGatewayConfig(flags, servedModelNames),
      ...(flags.maxQueueLength !== undefined ? { maxQueueLength: flags.maxQueueLength } : {}),
      host: flags.host,
      port: flags.port,
      apiKeys: apiKeys.keys,
      receiveTimeoutMs: flags.receiveTimeoutMs,
    });
    process.stderr.write(`rerankd serve: ${servedModelNames.join(', ')} (max ${server.reranker.maxModelLen} tokens) on http://${flags.host}:${server.port}\n`);
    const stop = async () => {
      apiKeys.close();
      await server.close();
    };
    onShutdownSignal(stop);
    // The thread that runs the model cannot come back once it is gone: exit for a restart.
    if (tensorParallelSize(flags) === 1) {
      void server.reranker.failure?.then(async (error) => {
        process.stderr.write(`rerankd serve: model runner failed: ${error.message}; exiting\n`);
        await stop().catch(() => undefined);
        process.exit(1);
      });
    }
  });
}
