// Runs every test file of the workspace with node's test runner (TypeScript through tsx).
// Everything the run writes to the temp directory goes to one folder of its own, removed at the
// end: what a killed test or server process could not clean up does not outlive the run.
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function testFiles(dir) {
  let found = [];
  let entries;
  try { entries = readdirSync(dir); } catch { return found; }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'fixtures') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found = found.concat(testFiles(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const roots = process.argv.length > 2 ? process.argv.slice(2) : ['packages', 'test'];
const files = roots.flatMap((root) => (root.endsWith('.ts') ? [root] : testFiles(root))).sort();
const runTmp = mkdtempSync(join(tmpdir(), 'rerankd-tests-'));
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', ...files],
  { stdio: 'inherit', env: { ...process.env, TMPDIR: runTmp } },
);
rmSync(runTmp, { recursive: true, force: true });
process.exit(result.status ?? 1);
