/** Tokens a cut document must still make past what truncation keeps, so that the cut changes nothing kept. */
export const CUT_MARGIN_TOKENS = 16;

/**
 * A document that truncation would shorten anyway, cut before it is tokenized: the first
 * `maxTokens + CUT_MARGIN_TOKENS` whitespace-separated words, or null when it has no more words
 * than that. Tokenizing a 100 kB document to keep 500 of its tokens would take CPU from the
 * model. Pre-tokenizers split at whitespace, so the tokens before the cut are those of the whole
 * text; a word usually makes at least one token, which the encoders check (enough tokens past
 * what they keep), encoding the whole document when it does not hold.
 */
export function cutLongDocument(document: string, maxTokens: number): string | null {
  const word = /\S+/g;
  for (let n = 0; n < maxTokens + CUT_MARGIN_TOKENS; n++) if (word.exec(document) === null) return null;
  const end = word.lastIndex;
  return word.exec(document) === null ? null : document.slice(0, end);
}
