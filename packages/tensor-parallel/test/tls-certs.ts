import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificates {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  /** A certificate from another CA: peers must refuse it. */
  strangerCertFile: string;
  strangerKeyFile: string;
  strangerCaFile: string;
}

/** Whether openssl can be run here (the TLS tests need it to make certificates). */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A CA and one rank certificate it signed, for localhost and 127.0.0.1, good as server and as
 * client (mutual TLS), made by openssl for this run; and a certificate of a stranger CA.
 */
export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'rerankd-tp-tls-'));
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore', cwd: dir });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  writeFileSync(path('rank.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  for (const ca of ['ca', 'stranger-ca']) {
    openssl('req', '-x509', ...ec, '-keyout', path(`${ca}.key`), '-out', path(`${ca}.crt`), '-days', '1', '-subj', `/CN=rerankd ${ca}`);
  }
  for (const [name, ca] of [['rank', 'ca'], ['stranger', 'stranger-ca']] as const) {
    openssl('req', ...ec, '-keyout', path(`${name}.key`), '-out', path(`${name}.csr`), '-subj', '/CN=localhost');
    openssl('x509', '-req', '-in', path(`${name}.csr`), '-CA', path(`${ca}.crt`), '-CAkey', path(`${ca}.key`), '-CAcreateserial', '-out', path(`${name}.crt`), '-days', '1', '-extfile', path('rank.ext'));
  }
  return { dir, caFile: path('ca.crt'), certFile: path('rank.crt'), keyFile: path('rank.key'), strangerCertFile: path('stranger.crt'), strangerKeyFile: path('stranger.key'), strangerCaFile: path('stranger-ca.crt') };
}
