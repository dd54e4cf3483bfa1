import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fixtureModelDir } from '@rerankd/testing';
import { loadReranker, type PairInput } from '@rerankd/model';
import { grpcGroup, type RankServer, type TlsOptions } from '@rerankd/tensor-parallel';
import { peersOf, startRanks } from './ranks';
import { hasOpenssl, makeCertificates, type TestCertificates } from './tls-certs';

const model = fixtureModelDir('qwen3-tiny-tied');
const pairs: PairInput[] = [
  { query: 'what is a KV cache?', document: 'Keys and values of earlier tokens, kept so they are not computed again.' },
  { query: 'what is a KV cache?', document: 'A kind of bird.' },
];

describe('TLS on the rank-to-rank channel', { skip: hasOpenssl() ? false : 'openssl is not installed' }, () => {
  let certs: TestCertificates;
  let expected: number[];
  before(async () => {
    certs = makeCertificates();
    const whole = await loadReranker({ model, threads: 1 });
    expected = (await whole.score(pairs)).map((o) => o.score);
    await whole.close();
  });
  after(() => certs && rmSync(certs.dir, { recursive: true, force: true }));

  for (const mutual of [false, true]) {
    describe(mutual ? 'mutual TLS' : 'server TLS', () => {
      let ranks: RankServer[];
      let tls: TlsOptions;
      before(async () => {
        tls = { certFile: certs.certFile, keyFile: certs.keyFile, caFile: certs.caFile, mutual, serverName: 'localhost' };
        ranks = await startRanks(2, tls);
      });
      after(() => Promise.all(ranks.map((r) => r.close())));

      test('a leader with the group\'s certificates scores as TP=1', async () => {
        const reranker = await loadReranker({ model, threads: 1, tensorParallel: grpcGroup({ peers: peersOf(ranks), tls }) });
        try {
          (await reranker.score(pairs)).forEach((o, i) => assert.ok(Math.abs(o.score - (expected[i] as number)) < 1e-4));
        } finally {
          await reranker.close();
        }
      });

      test('a leader without TLS is refused', async () => {
        await assert.rejects(loadReranker({ model, threads: 1, tensorParallel: grpcGroup({ peers: peersOf(ranks), readyTimeoutMs: 1_500 }) }), /did not answer SERVING/);
      });

      test('a leader that trusts another CA is refused', async () => {
        const stranger: TlsOptions = { certFile: certs.strangerCertFile, keyFile: certs.strangerKeyFile, caFile: certs.strangerCaFile, mutual, serverName: 'localhost' };
        await assert.rejects(loadReranker({ model, threads: 1, tensorParallel: grpcGroup({ peers: peersOf(ranks), tls: stranger, readyTimeoutMs: 1_500 }) }), /did not answer SERVING/);
      });

      if (mutual) {
        test('a leader without a client certificate is refused', async () => {
          const serverOnly: TlsOptions = { ...tls, mutual: false };
          await assert.rejects(loadReranker({ model, threads: 1, tensorParallel: grpcGroup({ peers: peersOf(ranks), tls: serverOnly, readyTimeoutMs: 1_500 }) }), /did not answer SERVING/);
        });
      }
    });
  }
});
