import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { counterDeltas, parsePrometheusText, readCounters } from '@rerankd/bench';

const SCRAPE = `# HELP rerankd_worker_pairs_total Query-document pairs scored.
# TYPE rerankd_worker_pairs_total counter
rerankd_worker_pairs_total{model="m",worker="a"} 10
rerankd_worker_pairs_total{model="m",worker="b"} 5
# HELP rerankd_prefix_cache_queries_total Prompt tokens looked up.
# TYPE rerankd_prefix_cache_queries_total counter
rerankd_prefix_cache_queries_total{model="m"} 1000
# TYPE rerankd_prefix_cache_hits_total counter
rerankd_prefix_cache_hits_total{model="m"} 600
# TYPE rerankd_padding_tokens_total counter
rerankd_padding_tokens_total 100
# TYPE rerankd_computed_tokens_total counter
rerankd_computed_tokens_total 400
# TYPE rerankd_worker_prompt_tokens_total counter
rerankd_http_request_duration_seconds_bucket{le="+Inf",path="/v1/rerank"} 3
rerankd_weird{label="a b } c"} 2.5e1
`;

describe('parsePrometheusText', () => {
  it('sums every label set of a metric and keeps declared metrics without samples at 0', () => {
    const totals = parsePrometheusText(SCRAPE);
    assert.equal(totals.get('rerankd_worker_pairs_total'), 15);
    assert.equal(totals.get('rerankd_padding_tokens_total'), 100);
    assert.equal(totals.get('rerankd_worker_prompt_tokens_total'), 0);
    assert.equal(totals.get('rerankd_http_request_duration_seconds_bucket'), 3);
    assert.equal(totals.get('rerankd_weird'), 25);
    assert.equal(totals.has('rerankd_absent_total'), false);
  });
});

describe('counterDeltas', () => {
  it('reads the prefix hit rate and padding fraction from the difference of two scrapes', () => {
    const before = readCounters(SCRAPE);
    const after = readCounters(
      SCRAPE.replace('queries_total{model="m"} 1000', 'queries_total{model="m"} 3000')
        .replace('hits_total{model="m"} 600', 'hits_total{model="m"} 2100')
        .replace('rerankd_padding_tokens_total 100', 'rerankd_padding_tokens_total 150')
        .replace('rerankd_computed_tokens_total 400', 'rerankd_computed_tokens_total 850'),
    );
    const deltas = counterDeltas(before, after);
    assert.equal(deltas.prefixHitRate, 1500 / 2000);
    assert.equal(deltas.prefixHitTokens, 1500);
    assert.equal(deltas.paddingFraction, 50 / (50 + 450));
    assert.equal(deltas.workerPromptTokens, 0);
    assert.equal(deltas.computedTokens, 450);
  });

  it('is null for counters the server does not have, or that did not move', () => {
    const bare = readCounters('# TYPE rerankd_worker_prompt_tokens_total counter\nrerankd_worker_prompt_tokens_total 7\n');
    assert.deepEqual(counterDeltas(bare, bare), { prefixHitRate: null, prefixHitTokens: null, paddingFraction: null, workerPromptTokens: 0, computedTokens: null, meanStepSeconds: null });
    assert.deepEqual(counterDeltas(null, null), { prefixHitRate: null, prefixHitTokens: null, paddingFraction: null, workerPromptTokens: null, computedTokens: null, meanStepSeconds: null });
    assert.equal(counterDeltas(readCounters(SCRAPE), readCounters(SCRAPE)).prefixHitRate, null);
  });
});
