import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { z } from 'zod';
import { loadReranker, type PairInput, type PairOutput, type Reranker } from '@rerankd/model';
import { addModelOptions, modelArgument, noticeIgnoredFlags, type ModelFlags, toLoadOptions } from '../options/model';

const ScoreLineSchema = z.object({
  query: z.string(),
  document: z.string(),
  instruction: z.string().optional(),
});

/** Lines scored together; output stays in input order. */
const LINES_PER_CHUNK = 256;

export function registerScore(program: Command): void {
  addModelOptions(
    program
      .command('score')
      .description('Score JSON lines {"query","document","instruction"?} from stdin; one JSON line out per line in.')
      .argument('[model]', 'model directory or Hugging Face hub id (or --model)')
      .option('--instruction <text>', 'instruction for Qwen3 rerankers (default: the model card\'s)')
      .option('--emit-ids', 'also print the token ids the model read'),
  ).action(async (positional: string | undefined, flags: ModelFlags & { instruction?: string; emitIds?: boolean }) => {
    noticeIgnoredFlags(flags);
    const reranker = await loadReranker(toLoadOptions(modelArgument(positional, flags), flags));
    try {
      let chunk: { line: number; text: string }[] = [];
      let lineNumber = 0;
      for await (const text of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
        lineNumber++;
        if (text.trim() === '') continue;
        chunk.push({ line: lineNumber, text });
        if (chunk.length >= LINES_PER_CHUNK) {
          await scoreChunk(reranker, chunk, flags);
          chunk = [];
        }
      }
      await scoreChunk(reranker, chunk, flags);
    } finally {
      await reranker.close();
    }
  });
}

async function scoreChunk(
  reranker: Reranker,
  chunk: { line: number; text: string }[],
  flags: { instruction?: string; emitIds?: boolean },
): Promise<void> {
  const parsed = chunk.map(({ line, text }) => parseLine(line, text, flags.instruction));
  const pairs = parsed.filter((p): p is PairInput => !('error' in p));
  const outputs = pairs.length > 0 ? await reranker.score(pairs, { emitIds: flags.emitIds ?? false }) : [];
  let next = 0;
  const lines = parsed.map((p) => JSON.stringify('error' in p ? p : formatOutput(outputs[next++] as PairOutput, flags.emitIds ?? false)));
  if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
}

function parseLine(line: number, text: string, instruction: string | undefined): PairInput | { error: { line: number; message: string } } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: { line, message: `line ${line}: not valid JSON` } };
  }
  const result = ScoreLineSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.join('.') || 'line';
    return { error: { line, message: `line ${line}: ${field}: ${issue?.message ?? 'invalid'}` } };
  }
  const pair: PairInput = { query: result.data.query, document: result.data.document };
  const chosen = result.data.instruction ?? instruction;
  if (chosen !== undefined) pair.instruction = chosen;
  return pair;
}

function formatOutput(output: PairOutput, emitIds: boolean): Record<string, unknown> {
  const line: Record<string, unknown> =
    output.logitYes !== undefined
      ? { score: output.score, logit_yes: output.logitYes, logit_no: output.logitNo }
      : { score: output.score, logit: output.logit };
  if (emitIds) {
    line.input_ids = output.inputIds;
    if (output.tokenTypeIds) line.token_type_ids = output.tokenTypeIds;
  }
  return line;
}
