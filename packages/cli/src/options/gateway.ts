import type { Command } from 'commander';
import type { GatewayConfigInput } from '@rerankd/gateway';
import { DEFAULT_RECEIVE_TIMEOUT_MS } from '../runtime/http-server';
import { collect, option, positiveInt } from './define';

export interface GatewayFlags {
  host: string;
  port: number;
  apiKey?: string[];
  apiKeyFile?: string;
  publicPath?: string[];
  servedModelName?: string[];
  maxBodyBytes?: number;
  maxDocuments?: number;
  maxPairsPerItem?: number;
  requestTimeoutMs?: number;
  maxQueueLength?: number;
  receiveTimeoutMs: number;
}

/** Flags of the HTTP front: where it listens, who may call it, and its limits. */
export function addGatewayOptions(command: Command): Command {
  return command
    .addOption(option('--host <host>', 'address to listen on').default('0.0.0.0'))
    .addOption(option('--port <port>', 'port to listen on').argParser(positiveInt('--port')).default(8123))
    .addOption(option('--api-key <key>', 'required as "Authorization: Bearer KEY" or x-api-key (repeatable)').argParser(collect))
    .addOption(option('--api-key-file <path>', 'file of accepted keys, one a line (# comments); read again on SIGHUP and when it changes'))
    .addOption(option('--public-path <path>', 'path answered without a key (repeatable; default: /health, /ready, /metrics)').argParser(collect))
    .addOption(option('--served-model-name <name>', 'the model name clients send (repeatable; default: the --model string)').argParser(collect))
    .addOption(option('--max-body-bytes <n>', 'largest request body').argParser(positiveInt('--max-body-bytes')))
    .addOption(option('--max-documents <n>', 'most documents in one request').argParser(positiveInt('--max-documents')))
    .addOption(option('--max-pairs-per-item <n>', 'pairs per work item: smaller items spread a request over more workers').argParser(positiveInt('--max-pairs-per-item')))
    .addOption(option('--request-timeout-ms <n>', 'deadline of a request; 504 after it').argParser(positiveInt('--request-timeout-ms')))
    .addOption(option('--max-queue-length <n>', 'items waiting per model before 429').argParser(positiveInt('--max-queue-length')))
    .addOption(
      option('--receive-timeout-ms <n>', 'longest time to receive a request\'s headers and body; 408 and the connection closed after it')
        .argParser(positiveInt('--receive-timeout-ms'))
        .default(DEFAULT_RECEIVE_TIMEOUT_MS),
    );
}

export function toGatewayConfig(flags: GatewayFlags, servedModelNames: string[]): GatewayConfigInput {
  const limits: NonNullable<GatewayConfigInput['limits']> = {};
  if (flags.maxBodyBytes !== undefined) limits.maxBodyBytes = flags.maxBodyBytes;
  if (flags.maxDocuments !== undefined) limits.maxDocumentsPerRequest = flags.maxDocuments;
  if (flags.maxPairsPerItem !== undefined) limits.maxPairsPerItem = flags.maxPairsPerItem;
  if (flags.requestTimeoutMs !== undefined) limits.requestTimeoutMs = flags.requestTimeoutMs;
  return {
    servedModelNames,
    apiKeys: flags.apiKey ?? [],
    ...(flags.publicPath !== undefined ? { publicPaths: flags.publicPath } : {}),
    limits,
  };
}
