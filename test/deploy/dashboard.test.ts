import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CHART_DIR, ROOT, field, isRecord, listFiles, readText } from './repo';

const DASHBOARD = join(CHART_DIR, 'dashboards', 'rerankd.json');
const dashboard = JSON.parse(readText(DASHBOARD)) as Record<string, unknown>;
const panels = (dashboard.panels as Record<string, unknown>[]).filter((p) => p.type !== 'row');
const exprs = panels.flatMap((p) => ((p.targets as Record<string, unknown>[] | undefined) ?? []).map((t) => String(t.expr)));

/** Metric names the code registers (prom-client `name: 'rerankd_…'`), plus Prometheus' own `up`. */
function registeredMetrics(): Set<string> {
  const names = new Set(['up']);
  for (const file of listFiles(join(ROOT, 'packages'), (name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))) {
    if (file.includes('node_modules')) continue;
    for (const match of readText(file).matchAll(/name: '(rerankd_[a-z0-9_]+)'/g)) names.add(match[1]!);
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

  test('charts throughput, latency percentiles, the queue, live workers and errors', () => {
    const has = (pattern: RegExp): boolean => exprs.some((e) => pattern.test(e));
    assert.ok(has(/rate\(rerankd_worker_pairs_total/), 'pairs/s');
    assert.ok(has(/rate\(rerankd_worker_prompt_tokens_total/), 'tokens/s');
    for (const q of ['0.5', '0.9', '0.99']) {
      assert.ok(has(new RegExp(`histogram_quantile\\(${q.replace('.', '\\.')}, .*rerankd_http_request_duration_seconds_bucket`)), `p${q}`);
    }
    for (const metric of ['rerankd_queue_depth', 'rerankd_queue_pending', 'rerankd_queue_dead_letters']) assert.ok(has(new RegExp(metric)), metric);
    assert.ok(has(/\bup\{job=~"\.\*worker\.\*"/), 'workers up');
    assert.ok(has(/rerankd_http_requests_total\{status=~"5\.\."/), '5xx');
  });

  test('queries only metrics that the code registers', () => {
    const known = registeredMetrics();
    const used = new Set<string>();
    for (const expr of exprs) {
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
