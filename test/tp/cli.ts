import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The workspace's `rerankd` entry point, run through tsx as `pnpm rerankd` does. */
export const CLI_MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'packages', 'cli', 'src', 'main.ts');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `rerankd <args>` with `input` on stdin, to its exit. */
export async function runCli(args: string[], input = ''): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(input);
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** The scores of `rerankd score` output lines. */
export function scoresOf(run: CliRun): number[] {
  if (run.code !== 0) throw new Error(`rerankd exited with ${run.code}:\n${run.stderr}`);
  return run.stdout
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { score: number }).score);
}

/** Every score within `tolerance` of the one at the same position; returns the largest difference. */
export function maxDelta(got: number[], expected: number[], tolerance: number): number {
  if (got.length !== expected.length) throw new Error(`${got.length} scores, expected ${expected.length}`);
  let worst = 0;
  got.forEach((score, i) => {
    const delta = Math.abs(score - (expected[i] as number));
    if (!(delta < tolerance)) throw new Error(`pair ${i}: score ${score}, expected ${expected[i]} (|Δ| ${delta})`);
    worst = Math.max(worst, delta);
  });
  return worst;
}
