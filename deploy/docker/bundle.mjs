// Bundles the rerankd CLI and the workspace packages it imports into ESM files for the images:
// the CLI, and beside it the model runner's thread. Third-party packages stay external: at run
// time they are imported from the node_modules that `pnpm deploy --prod` lays out beside them.
//   node deploy/docker/bundle.mjs OUTFILE
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');
const outfile = resolve(process.argv[2] ?? join(root, 'dist', 'rerankd.mjs'));

/** esbuild: the workspace's own, else the one tsx depends on. */
async function loadEsbuild() {
  const fromRoot = createRequire(join(root, 'package.json'));
  try {
    return await import(fromRoot.resolve('esbuild'));
  } catch {
    const fromTsx = createRequire(realpathSync(join(root, 'node_modules', 'tsx', 'package.json')));
    return import(fromTsx.resolve('esbuild'));
  }
}
const { build } = await loadEsbuild();

/** Bare imports other than @rerankd/* are left to Node's resolution at run time. */
const thirdPartyExternal = {
  name: 'third-party-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@rerankd/') ? undefined : { path: args.path, external: true }));
  },
};

// The model runner starts executor-thread.mjs as a worker thread, from beside its own code.
await build({
  entryPoints: {
    [basename(outfile, '.mjs')]: join(root, 'packages', 'cli', 'src', 'main.ts'),
    'executor-thread': join(root, 'packages', 'model', 'src', 'runner', 'executor-thread.ts'),
  },
  outdir: dirname(outfile),
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  plugins: [thirdPartyExternal],
  logLevel: 'warning',
});
process.stdout.write(`bundled ${outfile}\n`);
