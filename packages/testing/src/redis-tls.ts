import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import getPort from 'get-port';
import { Redis } from 'ioredis';
import { makeProcessTempDir } from './temp-dir';

export interface TlsRedisServer {
  /** rediss://:PASSWORD@localhost:PORT */
  url: string;
  /** The self-signed certificate clients must trust (e.g. through NODE_EXTRA_CA_CERTS). */
  caFile: string;
  stop(): Promise<void>;
}

/**
 * A `redis-server` that only speaks TLS and asks for a password, with a certificate made for
 * this run by openssl: what `rediss://` URLs meet in production.
 */
export async function startTlsRedis(password: string): Promise<TlsRedisServer> {
  // Removed by stop(), or when the process exits if a start fails or a test never stops it.
  const dir = makeProcessTempDir('redis-tls');
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  const port = await getPort({ host: '127.0.0.1' });
  const child = spawn(
    'redis-server',
    ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--tls-cert-file', cert, '--tls-key-file', key, '--tls-ca-cert-file', cert, '--tls-auth-clients', 'no', '--requirepass', password, '--save', '', '--dir', dir],
    { stdio: 'ignore' },
  );
  const exited = once(child, 'exit');
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const url = `rediss://:${encodeURIComponent(password)}@localhost:${port}`;
  const client = new Redis(url, { tls: { ca: readFileSync(cert) }, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  for (let attempt = 0; ; attempt++) {
    try {
      await client.connect();
      await client.ping();
      break;
    } catch (error) {
      if (attempt > 100) throw error;
      await sleep(50);
    }
  }
  client.disconnect();
  return {
    url,
    caFile: cert,
    async stop() {
      process.off('exit', killOnExit);
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
