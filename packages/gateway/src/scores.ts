/** Highest score first (ties keep request order), cut to `topN` when it is set and non-zero. */
export function rankByScore<T extends { index: number; score: number }>(scores: T[], topN?: number | null): T[] {
  const ranked = [...scores].sort((a, b) => b.score - a.score || a.index - b.index);
  return topN ? ranked.slice(0, topN) : ranked;
}

// Workers report probabilities. Next to 1 a double cannot tell logits above ~36.7 apart, so both
// ends are clamped there rather than becoming ±Infinity, which JSON cannot carry.
const SATURATION = Number.EPSILON / 2;

/** The logit behind a sigmoid probability: what vLLM's `use_activation:false` and TEI's `raw_scores` return. */
export function logitOf(probability: number): number {
  const p = Math.min(Math.max(probability, SATURATION), 1 - SATURATION);
  return Math.log(p) - Math.log1p(-p);
}
