import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { createApp, type GatewayConfigInput, type GatewayDeps } from '../src/index';
import { FakeWorkQueue } from './fake-queue';

export const MODEL = 'qwen3-reranker';
export const GATEWAY_ID = 'gateway-test';
export const NOW = 1_750_000_000_000;

export interface TestGateway {
  base: string;
  queue: FakeWorkQueue;
  registry: Registry;
  /** What the gateway logged as unexpected failures: their details, and the lines about them. */
  logged: unknown[];
  loggedMessages: string[];
  close(): Promise<void>;
}

/** The gateway on 127.0.0.1 with a fake queue, a fixed clock and ids `id-1`, `id-2`, ... */
export async function startGateway(config: Partial<GatewayConfigInput> = {}, deps: Pick<GatewayDeps, 'apiKeys'> = {}): Promise<TestGateway> {
  const queue = new FakeWorkQueue();
  const registry = new Registry();
  const logged: unknown[] = [];
  const loggedMessages: string[] = [];
  let ids = 0;
  const app = createApp({
    queue,
    gatewayId: GATEWAY_ID,
    config: { servedModelNames: [MODEL], ...config },
    registry,
    now: () => NOW,
    newId: () => `id-${++ids}`,
    logger: {
      error: (message, detail) => {
        loggedMessages.push(message);
        logged.push(detail);
      },
    },
    ...deps,
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    queue,
    registry,
    logged,
    loggedMessages,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body of a JSON answer. */
  json: unknown;
}

export async function request(
  base: string,
  path: string,
  init: { method?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const body = init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
  const response = await fetch(base + path, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers: { 'content-type': 'application/json', ...init.headers },
    body,
  });
  const text = await response.text();
  const json = response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined;
  return { status: response.status, headers: response.headers, text, json };
}
