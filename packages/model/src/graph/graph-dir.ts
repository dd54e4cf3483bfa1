import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const removeDir = (dir: string) => rmSync(dir, { recursive: true, force: true });

const live = new Set<string>();
process.once('exit', () => live.forEach(removeDir));

/**
 * A temporary directory for graph files (gigabytes for a real model) and the function that removes
 * it. A process that exits before then, as process.exit() on SIGTERM or on a broken tensor-parallel
 * group does while a model loads, removes it as it exits.
 */
export function makeGraphDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  live.add(dir);
  return {
    dir,
    remove: () => {
      live.delete(dir);
      removeDir(dir);
    },
  };
}
