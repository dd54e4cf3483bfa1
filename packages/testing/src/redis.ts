import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import getPort from 'get-port';
import { Redis } from 'ioredis';
import { makeProcessTempDir } from './temp-dir';

/** A Redis that tests may stop, kill and bring back on the same port. */
export interface RedisServer {
  url: string;
  port: number;
  /** Shuts Redis down cleanly; it stays down until restart(). */
  stop(): Promise<void>;
  /** Ends Redis at once, as a crash would; it stays down until restart(). */
  kill(): Promise<void>;
  /**
   * Starts Redis again on the same port, stopping it first if it runs: empty, unless started
   * with `appendOnly`, when it reads back everything it had acknowledged.
   */
  restart(): Promise<void>;
}

export interface StartRedisOptions {
  /** Started with `--requirepass`; the URL then carries the password. */
  password?: string;
  /**
   * Every write goes to an append-only file, fsynced before Redis answers, kept across restarts
   * and kills: what a production Redis with persistence does. Always a local redis-server process.
   */
  appendOnly?: boolean;
}

interface RunningRedis {
  host: string;
  stop(graceful: boolean): Promise<void>;
}

const REDIS_IMAGE = 'redis:7-alpine';
const START_TIMEOUT_MS = 15_000;
const INSTALL_HINT =
  'redis-server was not found on the PATH. Install it (Debian/Ubuntu: apt-get install -y redis-server, ' +
  'macOS: brew install redis) or make a Docker engine reachable.';

/**
 * Starts a throwaway Redis on a free port, without persistence: a testcontainers Redis where a
 * Docker engine is reachable, else a `redis-server` process in its own temporary directory.
 * Resolves once it answers PING.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const port = await getPort({ host: '127.0.0.1' });
  const persistence = options.appendOnly ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const args = ['--save', '', ...persistence, ...(options.password ? ['--requirepass', options.password] : [])];
  const dataDir = options.appendOnly ? makeProcessTempDir('redis-data') : undefined;
  const launch = !options.appendOnly && (await dockerReachable())
    ? () => launchContainer(port, args, options.password)
    : () => launchProcess(port, args, options.password, dataDir);

  let running: RunningRedis | undefined = await launch();
  const host = running.host;
  const halt = async (graceful: boolean) => {
    const stopping = running;
    running = undefined;
    await stopping?.stop(graceful);
  };
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  return {
    url: `redis://${auth}${host}:${port}`,
    port,
    stop: () => halt(true),
    kill: () => halt(false),
    restart: async () => {
      await halt(true);
      running = await launch();
    },
  };
}

let docker: Promise<boolean> | undefined;
function dockerReachable(): Promise<boolean> {
  // Loaded only when asked: most runs use a plain process and need none of its weight.
  docker ??= import('testcontainers').then(({ getContainerRuntimeClient }) =>
    getContainerRuntimeClient().then(
      () => true,
      () => false,
    ),
  );
  return docker;
}

/** `dataDir`: where the data outlives this process (append-only Redis); else a directory of its own, removed with it. */
async function launchProcess(port: number, args: string[], password: string | undefined, dataDir?: string): Promise<RunningRedis> {
  // Also removed when the process exits, should a test never stop this Redis.
  const dir = dataDir ?? makeProcessTempDir('redis');
  const removeDir = () => {
    if (dataDir === undefined) rmSync(dir, { recursive: true, force: true });
  };
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keepLog = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-2000);
  };
  child.stdout.on('data', keepLog);
  child.stderr.on('data', keepLog);
  try {
    await once(child, 'spawn');
  } catch (error) {
    removeDir();
    throw (error as NodeJS.ErrnoException).code === 'ENOENT' ? new Error(INSTALL_HINT) : error;
  }
  const exited = once(child, 'exit');
  // A test process that dies must not leave Redis running.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async (graceful: boolean) => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(graceful ? 'SIGTERM' : 'SIGKILL');
      await exited;
    }
    removeDir();
  };
  const exitedOnStart = exited.then(() => {
    throw new Error(`redis-server exited on start:\n${log}`);
  });
  exitedOnStart.catch(() => undefined); // only of interest until Redis answers
  try {
    await Promise.race([waitForPing('127.0.0.1', port, password), exitedOnStart]);
  } catch (error) {
    await stop(false);
    throw error;
  }
  return { host: '127.0.0.1', stop };
}

async function launchContainer(port: number, args: string[], password: string | undefined): Promise<RunningRedis> {
  const { GenericContainer, Wait } = await import('testcontainers');
  // Bound to a fixed host port so that a restarted Redis is found where the old one was.
  const container = await new GenericContainer(REDIS_IMAGE)
    .withExposedPorts({ container: 6379, host: port })
    .withCommand(['redis-server', ...args])
    .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
    .withStartupTimeout(START_TIMEOUT_MS)
    .start();
  const host = container.getHost();
  await waitForPing(host, port, password);
  return { host, stop: async (graceful) => void (await container.stop({ timeout: graceful ? 10_000 : 0 })) };
}

async function waitForPing(host: string, port: number, password: string | undefined): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const client = new Redis({ host, port, password, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined); // failed attempts are expected until Redis listens
    try {
      await client.connect();
      await client.ping();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`Redis on ${host}:${port} did not answer PING: ${String(error)}`);
    } finally {
      client.disconnect();
    }
    await sleep(50);
  }
}
