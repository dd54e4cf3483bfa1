import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The libraries ONNX Runtime loads for `executionProviders: ['cuda']`, from its own native folder. */
export const CUDA_PROVIDER_LIBRARIES = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'] as const;

export interface OrtInstall {
  /** onnxruntime-node's package folder. */
  root: string;
  version: string;
  /** Where its native binding and libonnxruntime live for this platform; provider libraries go beside them. */
  nativeDir: string;
}

/** The onnxruntime-node that `import 'onnxruntime-node'` loads here (through NODE_PATH too). */
export function findOrtInstall(): OrtInstall {
  let dir = dirname(require.resolve('onnxruntime-node'));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'onnxruntime-node') {
        return { root: dir, version: pkg.version ?? 'unknown', nativeDir: join(dir, 'bin', 'napi-v6', process.platform, process.arch) };
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('onnxruntime-node is installed without its package.json');
    dir = parent;
  }
}

/** The CUDA provider libraries missing from `nativeDir`. */
export function missingProviderLibraries(nativeDir: string): string[] {
  return CUDA_PROVIDER_LIBRARIES.filter((name) => !existsSync(join(nativeDir, name)));
}
