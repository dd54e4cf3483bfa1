import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CHART_DIR, ROOT, field, isRecord, listFiles, readText } from './repo';

const DASHBOARD = join(CHART_DIR, 'dashboards', 'rerankd.json');
const dashboard = JSON.parse(readText(DASHBOARD)) as Record<string, unknown>;
const panels = (dashboard.panels as Record<string, unknown>[]).filter((p) => p.type !== 'row');
const exprs = panels.flatMap((p) => ((p.targets as Record<string, unknown>[] | undefined) ?? []).map((t) => String(t.expr)));
/** The metric selectors of the template variables (`label_values(<selector>, <label>)`). */
const variableQueries = (field(dashboard, 'templating', 'list') as Record<string, unknown>[])
  .map((v) => /^label_values\((.*),\s*\w+\)$/.exec(String(v.definition ?? ''))?.[1])
  .filter((q): q is string => q !== undefined);

/** Process metrics of prom-client's collectDefaultMetrics() that the dashboard may use. */
const DEFAULT_PROCESS_METRICS = ['process_start_time_seconds', 'process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds'];

/** Metric names the code registers (prom-client `name: 'rerankd_…'`, and the default process metrics under rerankd_). */
function registeredMetrics(): Set<string> {
  const names = new Set<string>();
  for (const file of listFiles(join(ROOT, 'packages'), (name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))) {
    if (file.includes('node_modules')) continue;
    const text = readText(file);
    for (const match of text.matchAll(/name: '(rerankd_[a-z0-9_]+)'/g)) names.add(match[1]!);
    if (/collectDefaultMetrics\(\{[^}]*prefix: 'rerankd_'/.test(text)) for (const name of DEFAULT_PROCESS_METRICS) names.add(`rerankd_${name}`);
  }
  return names;
}

describe('Grafana dashboard', () => {
  test('is a Grafana dashboard with a stable uid and panels', () => {
    assert.equal(dashboard.uid, 'rerankd');
    assert.equal(dashboard.title, 'rerankd');
    assert.equal(typeof dashboard.schemaVersion, 'number');
    assert.ok(panels.length >= 10);
    const ids = (dashboard.panels as Record<string, unknown>[]).map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids repeat');
    for (const panel of panels) {
      assert.ok(isRecord(panel.gridPos), `panel ${String(panel.title)} has no gridPos`);
      assert.ok(Array.isArray(panel.targets) && panel.targets.length > 0, `panel ${String(panel.title)} has no query`);
    }
  });

  test('has model and instance variables and a Prometheus data source variable', () => {
    const variables = field(dashboard, 'templating', 'list') as Record<string, unknown>[];
    const byName = new Map(variables.map((v) => [v.name, v]));
    assert.equal(field(byName.get('datasource'), 'query'), 'prometheus');
    assert.match(String(field(byName.get('model'), 'definition')), /label_values\(.*, model\)/);
    assert.match(String(field(byName.get('instance'), 'definition')), /label_values\(.*, instance\)/);
    assert.ok(exprs.some((e) => e.includes('model=~"$model"')));
    assert.ok(exprs.some((e) => e.includes('instance=~"$instance"')));
  });

  test('charts throughput, latency percentiles, the queue, batching, caches, live workers and errors', () => {
    const has = (pattern: RegExp): boolean => exprs.some((e) => pattern.test(e));
    assert.ok(has(/rate\(rerankd_worker_pairs_total/), 'pairs/s');
    assert.ok(has(/rate\(rerankd_worker_prompt_tokens_total/), 'tokens/s');
    assert.ok(has(/rate\(rerankd_computed_tokens_total/), 'computed tokens/s');
    for (const histogram of ['rerankd_request_duration_seconds', 'rerankd_queue_wait_seconds', 'rerankd_engine_step_duration_seconds', 'rerankd_step_pairs', 'rerankd_step_tokens']) {
      for (const q of ['0.5', '0.9', '0.99']) {
        assert.ok(has(new RegExp(`histogram_quantile\\(${q.replace('.', '\\.')}, .*${histogram}_bucket`)), `p${q} of ${histogram}`);
      }
    }
    for (const metric of ['rerankd_queue_depth', 'rerankd_queue_pending', 'rerankd_queue_dead_letters', 'rerankd_kv_cache_usage_ratio', 'rerankd_num_requests_running', 'rerankd_num_requests_waiting']) {
      assert.ok(has(new RegExp(metric)), metric);
    }
    assert.ok(has(/rate\(rerankd_prefix_cache_hits_total.*\/.*rate\(rerankd_prefix_cache_queries_total/), 'prefix-cache hit rate');
    assert.ok(has(/rate\(rerankd_padding_tokens_total.*\/.*rate\(rerankd_computed_tokens_total/), 'padding fraction');
    assert.ok(has(/count by \(model\) \(rerankd_worker_info\{/), 'workers up');
    assert.ok(has(/rerankd_workers_live/), 'live workers');
    assert.ok(has(/rerankd_http_requests_total\{status=~"5\.\."/), '5xx');
    assert.ok(has(/sum by \(kind, route\) \(rate\(rerankd_request_errors_total/), 'request errors by kind');
    assert.ok(has(/sum by \(model, kind\) \(rate\(rerankd_worker_errors_total/), 'worker errors by kind');
  });

  test('queries only metrics that the code registers', () => {
    const known = registeredMetrics();
    const used = new Set<string>();
    for (const expr of [...exprs, ...variableQueries]) {
      for (const match of expr.matchAll(/\b(rerankd_[a-z0-9_]+|up)\b/g)) used.add(match[1]!.replace(/_(bucket|sum|count)$/, ''));
    }
    const unknown = [...used].filter((name) => !known.has(name));
    assert.deepEqual(unknown, []);
  });

  test('is the file the chart ConfigMap and compose both load', () => {
    assert.match(readText(join(CHART_DIR, 'templates', 'dashboards.yaml')), /\.Files\.Get "dashboards\/rerankd\.json"/);
    assert.match(readText(join(ROOT, 'deploy', 'compose.yaml')), /\.\.\/helm\/rerankd\/dashboards:\/var\/lib\/grafana\/dashboards\/rerankd:ro/);
  });
});
