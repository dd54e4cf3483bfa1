import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

const removeDir = (dir: string) => rmSync(dir, { recursive: true, force: true });

/**
 * A fresh directory (tmpdir/rerankd-PREFIX-XXXXXX), removed when the test or describe block that
 * made it ends, passed or failed (at the end of the file when made at its top level). Not from a
 * before/beforeEach hook: node:test gives a hook its own `after`, which would remove the
 * directory as soon as the hook returns; make it in the describe block instead.
 */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `rerankd-${prefix}-`));
  after(() => removeDir(dir));
  return dir;
}

const untilExit = new Set<string>();
// One listener for all of them, when the file's process ends, its tests passed or not.
process.once('exit', () => untilExit.forEach(removeDir));

/**
 * Like makeTempDir, but removed only when this process exits: for what outlives the test that made
 * it (a fixture the tests of a file share, a server a test may never stop).
 */
export function makeProcessTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `rerankd-${prefix}-`));
  untilExit.add(dir);
  return dir;
}
