import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Headers for a JSON API that browsers should never render, frame or cache: helmet's set with a
 * Content-Security-Policy that allows nothing, plus `Cache-Control: no-store` on every answer
 * (scores and keys' answers must not be kept by proxies). HSTS is left to whatever terminates
 * TLS in front of the gateway, which knows the domain it applies to.
 */
export function securityHeaders(): RequestHandler[] {
  return [
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
      strictTransportSecurity: false,
      xFrameOptions: { action: 'deny' },
    }),
    (_req, res, next) => {
      res.setHeader('Cache-Control', 'no-store');
      next();
    },
  ];
}
