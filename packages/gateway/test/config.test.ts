import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveGatewayConfig } from '../src/index';

describe('gateway config', () => {
  it('fills in the default limits and no API keys', () => {
    const config = resolveGatewayConfig({ servedModelNames: ['m'], limits: { maxPairsPerItem: 8 } });
    assert.deepEqual(config.apiKeys, []);
    assert.deepEqual(config.limits, {
      maxBodyBytes: 10 * 1024 * 1024,
      maxDocumentsPerRequest: 1000,
      maxPairsPerItem: 8,
      requestTimeoutMs: 60_000,
    });
    assert.match(config.version, /^\d+\.\d+\.\d+/);
  });

  it('rejects a config without a served model or with a limit out of range', () => {
    assert.deepEqual(resolveGatewayConfig({}).servedModelNames, []);
    assert.throws(() => resolveGatewayConfig({ servedModelNames: ['m'], limits: { maxPairsPerItem: 0 } }));
  });
});
