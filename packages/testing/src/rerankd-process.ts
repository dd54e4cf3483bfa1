import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import getPort from 'get-port';

/** The real `rerankd` entry point of this workspace, run through tsx as `pnpm rerankd` does. */
const CLI_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'cli', 'src', 'main.ts');

/** A running `rerankd` process (serve, gateway or worker). */
export interface RerankdProcess {
  /** http://127.0.0.1:PORT of its HTTP listener (the API, or a worker's /metrics). */
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  /** SIGTERM, then waits for the exit code. */
  stop(): Promise<number | null>;
}

export interface StartRerankdOptions {
  /** The flag carrying the HTTP port: --port for serve/gateway, --metrics-port for workers. */
  portFlag?: '--port' | '--metrics-port';
  env?: NodeJS.ProcessEnv;
  /** How long start-up may take before the test fails. */
  timeoutMs?: number;
}

/**
 * Starts `rerankd <args>` on a free loopback port and resolves once it listens. Fails with its
 * stderr if it exits first.
 */
export async function startRerankd(args: string[], options: StartRerankdOptions = {}): Promise<RerankdProcess> {
  const port = await getPort({ host: '127.0.0.1' });
  const portFlag = options.portFlag ?? '--port';
  const hostFlag = portFlag === '--port' ? '--host' : '--metrics-host';
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, ...args, portFlag, String(port), hostFlag, '127.0.0.1'], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      clearInterval(poll);
      // Not left running behind the failed test.
      child.kill('SIGKILL');
      reject(new Error(`rerankd ${args[0]} did not start within ${options.timeoutMs ?? 60_000} ms:\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    const poll = setInterval(() => {
      if (/on http:\/\/|metrics on :/.test(stderr)) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve();
      }
    }, 50);
    void exited.then(([code]) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`rerankd ${args[0]} exited with ${String(code)} before listening:\n${stderr}`));
    });
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    stderr: () => stderr,
    async kill() {
      if (!alive()) return;
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (alive()) {
        child.kill('SIGTERM');
        await exited;
      }
      return child.exitCode;
    },
  };
}

/** How a one-shot `rerankd` command ended. */
export interface RerankdRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a one-shot `rerankd <args>` command (score, bench…) to its end, with `input` on stdin. */
export function runRerankd(args: string[], input = '', env: NodeJS.ProcessEnv = {}): Promise<RerankdRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
