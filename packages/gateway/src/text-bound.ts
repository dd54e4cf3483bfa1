import { InvalidRequestError, type WorkPair } from '@rerankd/protocol';

/**
 * Tokenizers read text whole before a pair is cut to the model's limit, and hold several
 * hundred bytes per token while they do: one 5 MB document made a worker's memory grow by more
 * than a gigabyte. Real text takes 1 to 6 characters per token, so no text longer than this many
 * characters per token of the model's limit can fit in it: the rest is cut before it is queued
 * (or, with `truncate: false`, the request is refused as the worker would refuse it).
 */
export const MAX_CHARACTERS_PER_TOKEN = 32;

export interface BoundedTexts {
  pairs: WorkPair[];
  instruction: string | undefined;
}

/** The pairs and instruction with every text at most `maxModelLen × MAX_CHARACTERS_PER_TOKEN` characters. */
export function boundTexts(
  pairs: WorkPair[],
  instruction: string | undefined,
  options: { maxModelLen: number; truncate: boolean; documentsParam: string },
): BoundedTexts {
  const maxChars = options.maxModelLen * MAX_CHARACTERS_PER_TOKEN;
  const bound = (text: string, param: string | null, what: string): string => {
    if (text.length <= maxChars) return text;
    if (!options.truncate) {
      throw new InvalidRequestError(
        `${param ?? what}: ${text.length} characters cannot fit in the model's ${options.maxModelLen} tokens ` +
          `(at most ${maxChars} characters); send truncate: true to have it cut.`,
        param,
      );
    }
    return cutAt(text, maxChars);
  };
  let lastQuery: [string, string] | undefined; // the query of every pair is usually the same string
  const bounded = pairs.map((pair) => {
    if (pair.query.length <= maxChars && pair.document.length <= maxChars) return pair;
    if (lastQuery?.[0] !== pair.query) lastQuery = [pair.query, bound(pair.query, null, 'the query')];
    return { ...pair, query: lastQuery[1], document: bound(pair.document, `${options.documentsParam}.${pair.index}`, 'a document') };
  });
  return { pairs: bounded, instruction: instruction === undefined ? undefined : bound(instruction, 'instruction', 'the instruction') };
}

/** The first `length` UTF-16 units, one fewer where the cut would split a surrogate pair. */
function cutAt(text: string, length: number): string {
  const last = text.charCodeAt(length - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? length - 1 : length);
}
