import { createServer, type RequestListener, type Server } from 'node:http';

/** How long a client may take to send a whole request (headers and body) before a 408. */
export const DEFAULT_RECEIVE_TIMEOUT_MS = 30_000;
/** How long it may take to send the headers alone. */
const HEADERS_TIMEOUT_MS = 10_000;

/**
 * The HTTP server of the API. A client that trickles its request or stalls halfway is answered
 * 408 and disconnected once `receiveTimeoutMs` has passed, instead of holding a connection and
 * its buffers for ever. The time a request then takes to be scored is not limited here (see
 * --request-timeout-ms).
 */
export function createHttpServer(app: RequestListener, receiveTimeoutMs = DEFAULT_RECEIVE_TIMEOUT_MS): Server {
  return createServer(
    {
      requestTimeout: receiveTimeoutMs,
      headersTimeout: Math.min(HEADERS_TIMEOUT_MS, receiveTimeoutMs),
      // Node checks both timeouts this often; its default of 30 s would let a stalled client stay that much longer.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(receiveTimeoutMs / 4))),
    },
    app,
  );
}
