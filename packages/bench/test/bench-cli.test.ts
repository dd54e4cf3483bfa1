import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureModelDir, runRerankd, startRerankd, type RerankdProcess } from '@rerankd/testing';

/** Runs `rerankd bench …` and returns its one JSON line. */
async function bench(args: string[]): Promise<Record<string, unknown>> {
  const run = await runRerankd(['bench', ...args]);
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stdout, got:\n${run.stdout}`);
  return JSON.parse(lines[0]!) as Record<string, unknown>;
}

const SUMMARY_FIELDS = ['requests', 'errors', 'seconds', 'pairs', 'pairs_per_s', 'prompt_tokens', 'tokens_per_s', 'p50_ms', 'p90_ms', 'p99_ms', 'prefix_hit_rate', 'padding_fraction', 'computed_tokens', 'useful_gflops', 'engine_step_mean_ms', 'rss_start_mib', 'rss_max_mib', 'rss_end_mib'];
const RESULT_FIELDS = ['workload', 'model', 'date', 'cpu', 'roofline_gflops', ...SUMMARY_FIELDS];

function assertPositive(result: Record<string, unknown>, fields: string[]): void {
  for (const field of fields) assert.ok(typeof result[field] === 'number' && (result[field] as number) > 0, `${field} = ${String(result[field])}`);
}

/** Counters a server may not have yet: a number in [0, 1] or null. */
function assertFractionOrNull(result: Record<string, unknown>, fields: string[]): void {
  for (const field of fields) {
    const value = result[field];
    assert.ok(value === null || (typeof value === 'number' && value >= 0 && value <= 1), `${field} = ${String(value)}`);
  }
}

const model = fixtureModelDir('bert-tiny-ce');
const quickSizes = ['--docs', '4', '--doc-tokens', '24', '--requests', '2', '--roofline-seconds', '0.1'];
const quick = ['--model', model, ...quickSizes];

describe('rerankd bench (in-process)', () => {
  it('w1 prints one JSON line with every field', async () => {
    const result = await bench(['--workload', 'w1', ...quick]);
    for (const field of RESULT_FIELDS) assert.ok(field in result, `missing ${field}`);
    assert.equal(result.workload, 'w1');
    assert.equal(result.model, model);
    assert.equal(result.target, 'in-process');
    assert.equal(result.pairs, 8);
    assert.equal(result.errors, 0);
    assertPositive(result, ['pairs_per_s', 'tokens_per_s', 'prompt_tokens', 'p50_ms', 'p90_ms', 'p99_ms', 'roofline_gflops', 'useful_gflops', 'rss_max_mib']);
    assert.ok((result.p50_ms as number) <= (result.p90_ms as number) && (result.p90_ms as number) <= (result.p99_ms as number));
    assertFractionOrNull(result, ['prefix_hit_rate', 'padding_fraction']);
    assert.ok(!Number.isNaN(Date.parse(result.date as string)));
    assert.equal(typeof result.cpu, 'string');
    assert.equal('interactive_p99_ms' in result, false);
    assert.equal('baseline' in result, false);
  });

  it('w2 runs C clients with R requests each', async () => {
    const result = await bench(['--workload', 'w2', '--clients', '3', ...quick]);
    assert.equal(result.workload, 'w2');
    assert.equal(result.clients, 3);
    assert.equal(result.requests, 6);
    assert.equal(result.pairs, 3 * 2 * 4);
    assertPositive(result, ['pairs_per_s', 'tokens_per_s', 'p99_ms', 'useful_gflops']);
  });

  it('w3 adds the interactive latencies under load and on the idle server', async () => {
    const result = await bench(['--workload', 'w3', '--clients', '2', '--idle-requests', '2', '--interval-ms', '20', ...quick]);
    for (const field of [...RESULT_FIELDS, 'interactive_p99_ms', 'interactive_idle_p99_ms']) assert.ok(field in result, `missing ${field}`);
    assertPositive(result, ['pairs_per_s', 'p99_ms', 'interactive_p99_ms', 'interactive_idle_p99_ms']);
    // Two clients' big requests (1 to 4 documents each) plus at least one 5-document interactive request.
    assert.ok((result.requests as number) >= 5, `requests = ${String(result.requests)}`);
  });

  it('--baseline naive adds the same numbers for one pair per run, and the speedup', async () => {
    const result = await bench(['--workload', 'w1', '--baseline', 'naive', ...quick]);
    const baseline = result.baseline as Record<string, unknown>;
    assert.equal(baseline.kind, 'naive');
    for (const field of SUMMARY_FIELDS) assert.ok(field in baseline, `baseline is missing ${field}`);
    assert.equal(baseline.pairs, result.pairs);
    assert.equal(baseline.prompt_tokens, result.prompt_tokens, 'the baseline gets the same texts');
    assertPositive(baseline, ['pairs_per_s', 'tokens_per_s', 'p99_ms']);
    assert.equal(result.speedup, Math.round((1000 * (result.pairs_per_s as number)) / (baseline.pairs_per_s as number)) / 1000);
    assert.equal(baseline.computed_tokens, baseline.prompt_tokens, 'the baseline computes every token it reads');
    // An encoder reads the query anew with every document: no prefix to reuse, the same work.
    assert.equal(result.computed_tokens, result.prompt_tokens);
    assert.equal(result.computed_token_ratio, 1);
  });

  it('--baseline naive on a decoder: the engine computes each query prefix once, the baseline with every pair', async () => {
    const result = await bench(['--workload', 'w1', '--baseline', 'naive', '--model', fixtureModelDir('qwen3-tiny-tied'), ...quickSizes]);
    const baseline = result.baseline as Record<string, unknown>;
    const [computed, baselineComputed] = [result.computed_tokens as number, baseline.computed_tokens as number];
    assert.equal(baselineComputed, baseline.prompt_tokens);
    assert.ok(computed < baselineComputed, `computed ${computed} of ${baselineComputed}`);
    assert.equal(result.computed_token_ratio, Math.round((1000 * baselineComputed) / computed) / 1000);
  });

  it('generates a preset model once under --cache-dir', { timeout: 300_000 }, async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'rerankd-bench-cache-'));
    try {
      const args = ['--model', 'ms-marco-minilm-l6', '--cache-dir', cacheDir, '--docs', '2', '--doc-tokens', '16', '--requests', '1', '--roofline-seconds', '0.1'];
      const result = await bench(args);
      assert.equal(result.model, 'ms-marco-minilm-l6');
      assert.equal(result.pairs, 2);
      const again = await runRerankd(['bench', ...args]);
      assert.equal(again.code, 0, again.stderr);
      assert.doesNotMatch(again.stderr, /writing a random/, 'the second run reuses the model');
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  it('passes --quantization int8 through to the model loader and measures the int8 roofline too', async () => {
    const result = await bench(['--workload', 'w1', '--quantization', 'int8', ...quick]);
    assert.equal(result.errors, 0);
    assert.equal(result.pairs, 8);
    assertPositive(result, ['int8_roofline_gops']);
  });

  it('refuses flags that need an in-process server with --url, and runs without a model or URL', async () => {
    const remote = await runRerankd(['bench', '--url', 'http://127.0.0.1:9', '--baseline', 'naive', '--threads', '1']);
    assert.equal(remote.code, 1);
    assert.match(remote.stderr, /--threads, --baseline apply only to an in-process server/);
    const noModel = await runRerankd(['bench']);
    assert.equal(noModel.code, 1);
    assert.match(noModel.stderr, /give --model/);
    assert.equal(noModel.stdout, '');
  });
});

describe('rerankd bench --url', () => {
  let server: RerankdProcess;
  before(async () => {
    server = await startRerankd(['serve', model, '--api-key', 'bench-key']);
  });
  after(async () => {
    await server?.stop();
  });

  for (const dialect of ['vllm', 'cohere-v2', 'score', 'tei']) {
    it(`drives the ${dialect} API of a running server`, async () => {
      const result = await bench(['--url', server.url, '--api-key', 'bench-key', '--dialect', dialect, '--workload', 'w2', '--clients', '2', '--docs', '3', '--doc-tokens', '24', '--requests', '1']);
      assert.equal(result.dialect, dialect);
      assert.equal(result.target, server.url);
      assert.equal(result.model, model, 'the first model of /v1/models');
      assert.equal(result.pairs, 6);
      assert.equal(result.roofline_gflops, null, 'the roofline is measured only in-process');
      // TEI answers carry no usage: the tokens come from the workers' counter on /metrics.
      assertPositive(result, ['pairs_per_s', 'tokens_per_s', 'p99_ms', 'useful_gflops']);
    });
  }

  it('counts the same tokens through usage and through /metrics', async () => {
    const args = ['--url', server.url, '--api-key', 'bench-key', '--workload', 'w1', '--docs', '3', '--doc-tokens', '24', '--requests', '1'];
    const viaUsage = await bench([...args, '--dialect', 'vllm']);
    const viaMetrics = await bench([...args, '--dialect', 'tei']);
    assert.equal(viaMetrics.prompt_tokens, viaUsage.prompt_tokens);
  });

  it('fails with the server\'s message when the key is wrong', async () => {
    const run = await runRerankd(['bench', '--url', server.url, '--api-key', 'wrong', '--docs', '2', '--requests', '1']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /401/);
  });
});
