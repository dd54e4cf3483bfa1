/**
 * Metric names in PromQL expressions and Prometheus text expositions, for tests that hold a
 * dashboard's queries against what live processes export.
 */

/** PromQL's functions and aggregation operators (always followed by `(`, but a space may come first). */
const FUNCTIONS = new Set([
  'abs', 'absent', 'absent_over_time', 'acos', 'acosh', 'asin', 'asinh', 'atan', 'atanh', 'avg', 'avg_over_time', 'bottomk',
  'ceil', 'changes', 'clamp', 'clamp_max', 'clamp_min', 'cos', 'cosh', 'count', 'count_over_time', 'count_values',
  'day_of_month', 'day_of_week', 'day_of_year', 'days_in_month', 'deg', 'delta', 'deriv', 'exp', 'floor', 'group',
  'histogram_avg', 'histogram_count', 'histogram_fraction', 'histogram_quantile', 'histogram_stddev', 'histogram_stdvar',
  'histogram_sum', 'holt_winters', 'double_exponential_smoothing', 'hour', 'idelta', 'increase', 'irate', 'label_join',
  'label_replace', 'last_over_time', 'limitk', 'limit_ratio', 'ln', 'log10', 'log2', 'mad_over_time', 'max', 'max_over_time',
  'min', 'min_over_time', 'minute', 'month', 'pi', 'predict_linear', 'present_over_time', 'quantile', 'quantile_over_time',
  'rad', 'rate', 'resets', 'round', 'scalar', 'sgn', 'sin', 'sinh', 'sort', 'sort_by_label', 'sort_by_label_desc', 'sort_desc',
  'sqrt', 'stddev', 'stddev_over_time', 'stdvar', 'stdvar_over_time', 'sum', 'sum_over_time', 'tan', 'tanh', 'time',
  'timestamp', 'topk', 'vector', 'year',
]);
/** Keywords: binary set operators, modifiers, and the number literals spelled as words. */
const KEYWORDS = new Set(['and', 'or', 'unless', 'atan2', 'bool', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'inf', 'nan']);

/** The metric names an expression selects: `rate(foo_bucket{a="b"}[5m])` gives `foo_bucket`. */
export function promqlMetricNames(expr: string): Set<string> {
  const stripped = expr
    // String literals first: label values and regexes may hold anything.
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    // Label matchers, ranges and subqueries (Grafana's $__rate_interval included).
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '[]')
    // Label lists of grouping and vector matching.
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const id = match[0];
    const before = stripped[match.index - 1] ?? ' ';
    // A unit of a duration or number (5m, 1e3) or a Grafana variable ($model).
    if (/[0-9.$]/.test(before)) continue;
    if (KEYWORDS.has(id.toLowerCase())) continue;
    const next = stripped.slice(match.index + id.length).trimStart()[0];
    if (next === '(' || FUNCTIONS.has(id)) continue;
    names.add(id);
  }
  return names;
}

/** The selector of a Grafana `label_values(<selector>, <label>)` variable query, or the query itself. */
export function variableSelector(definition: string): string {
  return /^\s*label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$/.exec(definition)?.[1] ?? definition;
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments and blank lines skipped). */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[label[1] as string] = (label[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of the samples named `name` whose labels include `where`. */
export function sumOf(samples: readonly Sample[], name: string, where: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(where).every(([key, value]) => s.labels[key] === value))
    .reduce((sum, s) => sum + s.value, 0);
}

/** GET <url>/metrics, parsed. */
export async function scrape(url: string): Promise<Sample[]> {
  const response = await fetch(`${url}/metrics`);
  if (response.status !== 200) throw new Error(`${url}/metrics answered ${response.status}`);
  return parseExposition(await response.text());
}
