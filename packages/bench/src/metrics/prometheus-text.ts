/**
 * Sample values of a Prometheus text exposition, summed per metric name over all label sets.
 * A metric that is declared (`# TYPE`) but has no sample yet is present with 0: a counter
 * that exists but never counted is not the same as one the server does not have.
 */
export function parsePrometheusText(text: string): Map<string, number> {
  const totals = new Map<string, number>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const declared = /^#\s*TYPE\s+(\S+)\s/.exec(line);
      if (declared?.[1] && !totals.has(declared[1])) totals.set(declared[1], 0);
      continue;
    }
    const sample = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (!sample?.[1] || sample[3] === undefined) continue;
    const value = Number(sample[3]);
    if (Number.isNaN(value)) continue;
    totals.set(sample[1], (totals.get(sample[1]) ?? 0) + value);
  }
  return totals;
}
