import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

test('graph directories not removed yet go when the process exits early, as on SIGTERM mid-load', () => {
  const graphDir = fileURLToPath(new URL('../src/graph/graph-dir.ts', import.meta.url));
  const script = `
    import { makeGraphDir } from ${JSON.stringify(graphDir)};
    const loading = makeGraphDir('rerankd-graph-');
    const loaded = makeGraphDir('rerankd-graph-');
    loaded.remove();
    process.stdout.write(JSON.stringify([loading.dir, loaded.dir]));
    process.exit(0);
  `;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const dirs = JSON.parse(run.stdout) as string[];
  assert.equal(dirs.length, 2);
  for (const dir of dirs) assert.equal(existsSync(dir), false, dir);
});
