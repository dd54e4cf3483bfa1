import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { dashboardMetricNames } from './dashboard-queries';
import { parseExposition, promqlMetricNames, sumOf, variableSelector } from './promql';

const names = (expr: string) => [...promqlMetricNames(expr)].sort();

describe('PromQL metric names', () => {
  test('finds selectors inside functions, aggregations and binary operators', () => {
    assert.deepEqual(names('histogram_quantile(0.99, sum by (le, model) (rate(rerankd_step_pairs_bucket{model=~"$model", instance=~"$instance"}[$__rate_interval])))'), ['rerankd_step_pairs_bucket']);
    assert.deepEqual(
      names('sum by (model) (rate(a_total{x="sum(b)"}[5m] offset 1h)) / on (model) group_left (le) sum without (instance) (irate(b_sum [1m:10s]))'),
      ['a_total', 'b_sum'],
    );
    assert.deepEqual(names('max by (model) (rerankd_queue_depth{model=~"$model"}) > bool 0 and up'), ['rerankd_queue_depth', 'up']);
    assert.deepEqual(names('sum(rate(x_total{status=~"5.."}[1m])) * 1e3 + Inf'), ['x_total']);
    assert.deepEqual(names('count(count by (instance) (rerankd_worker_info))'), ['rerankd_worker_info']);
  });

  test('reads the selector of a Grafana label_values() variable', () => {
    assert.equal(variableSelector('label_values(rerankd_worker_pairs_total, model)'), 'rerankd_worker_pairs_total');
    assert.equal(variableSelector('label_values(up{job=~".*"}, instance)'), 'up{job=~".*"}');
  });

  test('the dashboard queries only rerankd_ series', () => {
    const used = [...dashboardMetricNames()];
    assert.ok(used.length >= 20, used.join(', '));
    assert.deepEqual(used.filter((name) => !name.startsWith('rerankd_')), []);
  });
});

describe('Prometheus text exposition', () => {
  test('parses samples with escaped label values', () => {
    const samples = parseExposition(
      '# HELP a_total A.\n# TYPE a_total counter\na_total{model="m",kind="x\\"y"} 3\na_total{model="n",kind="z"} 4\nb 1.5e-3\n',
    );
    assert.deepEqual(samples[0], { name: 'a_total', labels: { model: 'm', kind: 'x"y' }, value: 3 });
    assert.equal(sumOf(samples, 'a_total'), 7);
    assert.equal(sumOf(samples, 'a_total', { model: 'n' }), 4);
    assert.equal(sumOf(samples, 'b'), 0.0015);
  });
});
