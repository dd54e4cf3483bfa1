import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promqlMetricNames, variableSelector, type Sample } from './promql';

const DASHBOARD = join(import.meta.dirname, '..', '..', 'helm', 'rerankd', 'dashboards', 'rerankd.json');

interface Panel {
  type: string;
  title?: string;
  targets?: { expr?: string }[];
}

/** Every PromQL expression of the dashboard: panel targets and template variable queries. */
export function dashboardExpressions(): string[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[]; templating: { list: { type: string; definition?: string }[] } };
  const targets = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? '')).filter((e) => e !== '');
  const variables = dashboard.templating.list.filter((v) => v.type === 'query' && v.definition).map((v) => variableSelector(v.definition as string));
  return [...targets, ...variables];
}

/** Metric names the dashboard queries (histograms as their _bucket, _sum and _count series). */
export function dashboardMetricNames(): Set<string> {
  return new Set(dashboardExpressions().flatMap((e) => [...promqlMetricNames(e)]));
}

/** Names the dashboard queries that have no sample in any of the scrapes. */
export function missingFromScrapes(scrapes: readonly (readonly Sample[])[]): string[] {
  const exported = new Set(scrapes.flatMap((samples) => samples.map((s) => s.name)));
  return [...dashboardMetricNames()].filter((name) => !exported.has(name)).sort();
}
