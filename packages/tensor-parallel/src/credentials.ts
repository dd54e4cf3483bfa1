import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { InvalidRequestError } from '@rerankd/protocol';

/**
 * TLS for the rank-to-rank channel (PEM files). Every rank is a server (its ranks above dial
 * it) and a client (it dials the ranks above it), so each rank has one certificate for both.
 */
export interface TlsOptions {
  certFile: string;
  keyFile: string;
  /** CA bundle the peers' certificates must chain to; the system's roots when absent. */
  caFile?: string;
  /** Mutual TLS: servers require a client certificate that chains to the CA, and clients present theirs. */
  mutual?: boolean;
  /** The name to check in the peers' certificates instead of the host of their address. */
  serverName?: string;
}

function read(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new InvalidRequestError(`cannot read the ${what} ${file}: ${(error as Error).message}`);
  }
}

export function serverCredentials(tls: TlsOptions | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  if (tls.mutual && !tls.caFile) throw new InvalidRequestError('mutual TLS needs a CA (--tp-tls-ca) to check client certificates against');
  const ca = tls.caFile ? read(tls.caFile, 'TLS CA') : null;
  return grpc.ServerCredentials.createSsl(ca, [{ private_key: read(tls.keyFile, 'TLS key'), cert_chain: read(tls.certFile, 'TLS certificate') }], tls.mutual ?? false);
}

export function channelCredentials(tls: TlsOptions | undefined): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  const ca = tls.caFile ? read(tls.caFile, 'TLS CA') : null;
  if (!tls.mutual) return grpc.credentials.createSsl(ca);
  return grpc.credentials.createSsl(ca, read(tls.keyFile, 'TLS key'), read(tls.certFile, 'TLS certificate'));
}

/** Channel options that TLS adds: the name to verify, when it is not the address's host. */
export function tlsChannelOptions(tls: TlsOptions | undefined): grpc.ChannelOptions {
  return tls?.serverName ? { 'grpc.ssl_target_name_override': tls.serverName, 'grpc.default_authority': tls.serverName } : {};
}
