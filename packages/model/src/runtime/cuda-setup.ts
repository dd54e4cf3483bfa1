import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { CUDA_PROVIDER_LIBRARIES, type OrtInstall } from './ort-install';

/**
 * What `rerankd gpu-setup` needs to know about a machine before onnxruntime-node can run on
 * CUDA: the NVIDIA driver, the CUDA major version of the libraries the provider will load
 * (cudart, cuBLAS, cuDNN 9), and whether onnxruntime-node has its CUDA provider libraries.
 */

/** How the machine is asked; tests inject recorded outputs. */
export interface SystemProbe {
  /** Runs a command to completion; null when it cannot be started (not installed). */
  run(command: string, args: string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv }): CommandResult | null;
  /** File names in a directory; empty when it does not exist. */
  listDir(dir: string): string[];
  env: NodeJS.ProcessEnv;
}

export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface DriverInfo {
  version: string;
  /** The newest CUDA version the driver supports, e.g. "13.0". */
  cudaVersion: string;
  gpus: string[];
}

export interface LibraryCheck {
  label: string;
  soname: string;
  /** Where it was found; null when missing. */
  path: string | null;
}

export interface GpuSetupReport {
  driver: DriverInfo | null;
  /** CUDA major version the provider must be built for: that of the libraries found, else the driver's. */
  cudaMajor: number | null;
  libraries: LibraryCheck[];
  ort: { version: string; nativeDir: string; providerLibraries: { name: string; present: boolean }[] };
  /** Libraries the installed CUDA provider needs that the loader cannot find (from ldd). */
  unresolved: string[];
  /** One line per thing that stops CUDA from working, with what to do about it. */
  problems: string[];
}

/** The npm package that ships ONNX Runtime 1.29.0's CUDA 13 provider (no NuGet needed). */
export const CUDA13_PROVIDER_PACKAGE = 'com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9';
/** The onnxruntime-node version that provider was built for; the core library must match exactly. */
export const CUDA13_PROVIDER_ORT_VERSION = '1.29.0';
const SUPPORTED_MAJORS = [12, 13] as const;

/** The libraries ORT's CUDA provider loads for a CUDA major version (cuDNN is 9 for both). */
export function cudaLibraries(major: number): { label: string; soname: string }[] {
  return [
    { label: 'CUDA runtime (cudart)', soname: `libcudart.so.${major}` },
    { label: 'cuBLAS', soname: `libcublas.so.${major}` },
    { label: 'cuBLASLt', soname: `libcublasLt.so.${major}` },
    { label: 'cuDNN 9', soname: 'libcudnn.so.9' },
  ];
}

/** `nvidia-smi`'s banner: "Driver Version: 580.65.06   CUDA Version: 13.0". */
export function parseNvidiaSmi(stdout: string): { version: string; cudaVersion: string } | null {
  const version = /Driver Version:\s*([\d.]+)/.exec(stdout)?.[1];
  const cudaVersion = /CUDA Version:\s*([\d.]+)/.exec(stdout)?.[1];
  return version && cudaVersion ? { version, cudaVersion } : null;
}

/** `nvidia-smi -L`: "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-…)" per line. */
export function parseGpuList(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((line) => /^GPU (\d+): (.+?)(?: \(UUID:.*\))?$/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]}: ${m[2]}`);
}

/** `ldconfig -p`: "\tlibcudart.so.12 (libc6,x86-64) => /usr/local/cuda/lib64/libcudart.so.12". */
export function parseLdconfig(stdout: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^\s*(\S+)\s+\(([^)]*)\)\s+=>\s+(\S+)/.exec(line);
    // Only 64-bit x86 libraries can load into this process.
    if (m && (m[2]?.includes('x86-64') ?? false) && !found.has(m[1] as string)) found.set(m[1] as string, m[3] as string);
  }
  return found;
}

/** `ldd`: the sonames reported "=> not found". */
export function parseLddMissing(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((line) => /^\s*(\S+)\s+=>\s+not found/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
}

/** Looks a soname up as the dynamic loader would: LD_LIBRARY_PATH first, then the ldconfig cache. */
function locate(soname: string, probe: SystemProbe, cache: Map<string, string>): string | null {
  for (const dir of (probe.env.LD_LIBRARY_PATH ?? '').split(delimiter).filter(Boolean)) {
    if (probe.listDir(dir).includes(soname)) return join(dir, soname);
  }
  return cache.get(soname) ?? null;
}

export function detectGpuSetup(probe: SystemProbe, ort: Pick<OrtInstall, 'version' | 'nativeDir'>): GpuSetupReport {
  const problems: string[] = [];
  const smi = probe.run('nvidia-smi', []);
  const banner = smi && smi.status === 0 ? parseNvidiaSmi(smi.stdout) : null;
  let driver: DriverInfo | null = null;
  if (!banner) {
    problems.push(
      smi === null
        ? 'nvidia-smi is not installed: install the NVIDIA driver (a CUDA 12 or 13 capable one)'
        : `nvidia-smi failed${smi.status !== 0 ? ` (exit ${smi.status})` : ''}: ${firstLine(smi.stderr || smi.stdout) || 'no driver banner'}; is the NVIDIA driver loaded and a GPU visible?`,
    );
  } else {
    const list = probe.run('nvidia-smi', ['-L']);
    driver = { ...banner, gpus: list && list.status === 0 ? parseGpuList(list.stdout) : [] };
    if (driver.gpus.length === 0) problems.push('the NVIDIA driver is loaded but nvidia-smi -L lists no GPU');
  }

  const ldconfig = probe.run('ldconfig', ['-p']) ?? probe.run('/sbin/ldconfig', ['-p']);
  const cache = ldconfig && ldconfig.status === 0 ? parseLdconfig(ldconfig.stdout) : new Map<string, string>();
  const driverMajor = driver ? Number(driver.cudaVersion.split('.')[0]) : null;
  // The newest CUDA major whose runtime and cuBLAS are both installed decides the provider build.
  const libsMajor =
    [...SUPPORTED_MAJORS].reverse().find((major) => locate(`libcudart.so.${major}`, probe, cache) && locate(`libcublas.so.${major}`, probe, cache)) ?? null;
  const cudaMajor = libsMajor ?? (driverMajor !== null && (SUPPORTED_MAJORS as readonly number[]).includes(driverMajor) ? driverMajor : null);

  const libraries: LibraryCheck[] = cudaMajor === null ? [] : cudaLibraries(cudaMajor).map((lib) => ({ ...lib, path: locate(lib.soname, probe, cache) }));
  if (cudaMajor === null) {
    problems.push(
      driverMajor === null
        ? 'no CUDA 12 or 13 libraries (libcudart, libcublas) found and no driver to tell the CUDA version'
        : `the driver supports CUDA ${driver?.cudaVersion}, but onnxruntime-node's CUDA provider needs CUDA 12 or 13`,
    );
  } else {
    if (driverMajor !== null && driverMajor < cudaMajor) {
      problems.push(`the CUDA ${cudaMajor} libraries need a newer driver: ${driver?.version} supports CUDA ${driver?.cudaVersion} at most`);
    }
    for (const lib of libraries) {
      if (!lib.path) problems.push(`${lib.label} (${lib.soname}) is not found by the loader: install it, or add its folder to LD_LIBRARY_PATH`);
    }
  }

  const providerLibraries = CUDA_PROVIDER_LIBRARIES.map((name) => ({ name, present: probe.listDir(ort.nativeDir).includes(name) }));
  const unresolved: string[] = [];
  if (providerLibraries.some((lib) => !lib.present)) {
    const missing = providerLibraries.filter((lib) => !lib.present).map((lib) => lib.name);
    problems.push(`onnxruntime-node ${ort.version} has no CUDA provider (${missing.join(', ')} missing in ${ort.nativeDir}): run rerankd gpu-setup`);
  } else {
    const ldd = probe.run('ldd', [join(ort.nativeDir, CUDA_PROVIDER_LIBRARIES[0])]);
    if (ldd && ldd.status === 0) unresolved.push(...parseLddMissing(ldd.stdout));
    const known = new Set(libraries.filter((lib) => !lib.path).map((lib) => lib.soname));
    for (const soname of unresolved.filter((name) => !known.has(name))) {
      problems.push(`${soname}, which the CUDA provider links against, is not found by the loader: install it, or add its folder to LD_LIBRARY_PATH`);
    }
  }
  return { driver, cudaMajor, libraries, ort: { version: ort.version, nativeDir: ort.nativeDir, providerLibraries }, unresolved, problems };
}

/** The report as people read it: one line per component, then what is missing. */
export function formatGpuSetupReport(report: GpuSetupReport): string {
  const lines: string[] = [];
  const d = report.driver;
  lines.push(d ? `NVIDIA driver          ${d.version} (CUDA ≤ ${d.cudaVersion}); GPUs: ${d.gpus.join('; ') || 'none'}` : 'NVIDIA driver          not found');
  lines.push(`CUDA major             ${report.cudaMajor ?? 'unknown'}`);
  for (const lib of report.libraries) lines.push(`${lib.label.padEnd(23)}${lib.path ? `ok  ${lib.path}` : `MISSING  ${lib.soname}`}`);
  lines.push(`onnxruntime-node       ${report.ort.version} at ${report.ort.nativeDir}`);
  for (const lib of report.ort.providerLibraries) lines.push(`  ${lib.name.padEnd(38)}${lib.present ? 'ok' : 'MISSING'}`);
  lines.push(report.problems.length === 0 ? 'CUDA is ready: --device cuda will run on the GPU.' : `Missing (${report.problems.length}):`);
  for (const problem of report.problems) lines.push(`  - ${problem}`);
  return `${lines.join('\n')}\n`;
}

export type InstallPlan =
  | { kind: 'none'; reason: string }
  | { kind: 'ort-installer'; cudaMajor: 12 }
  | { kind: 'npm-package'; cudaMajor: 13; packageSpec: string };

/** How the provider libraries can be installed for this report, or why they cannot. */
export function planProviderInstall(report: GpuSetupReport): InstallPlan {
  if (report.ort.providerLibraries.every((lib) => lib.present)) return { kind: 'none', reason: 'the CUDA provider libraries are already installed' };
  if (report.cudaMajor === 12) return { kind: 'ort-installer', cudaMajor: 12 };
  if (report.cudaMajor === 13) {
    if (report.ort.version !== CUDA13_PROVIDER_ORT_VERSION) {
      return { kind: 'none', reason: `the CUDA 13 provider (${CUDA13_PROVIDER_PACKAGE}) is built for onnxruntime-node ${CUDA13_PROVIDER_ORT_VERSION}, not ${report.ort.version}` };
    }
    return { kind: 'npm-package', cudaMajor: 13, packageSpec: CUDA13_PROVIDER_PACKAGE };
  }
  return { kind: 'none', reason: 'no CUDA 12 or 13 installation was found to choose a provider build for' };
}

/**
 * Installs the CUDA provider libraries into onnxruntime-node's native folder. CUDA 12: ORT's
 * own installer (downloads them from NuGet) with ONNXRUNTIME_NODE_INSTALL=cuda12. CUDA 13: the
 * npm package that ships ORT 1.29.0's CUDA 13 build, unpacked in a temporary folder.
 * Returns the log lines; throws when a step fails.
 */
export function installProvider(plan: InstallPlan, ort: OrtInstall, probe: SystemProbe): string[] {
  const log: string[] = [];
  if (plan.kind === 'none') throw new Error(`cannot install the CUDA provider: ${plan.reason}`);
  if (plan.kind === 'ort-installer') {
    const script = join(ort.root, 'script', 'install.js');
    if (!existsSync(script)) throw new Error(`onnxruntime-node's installer is not at ${script}`);
    log.push(`running ${script} with ONNXRUNTIME_NODE_INSTALL=cuda12 (downloads from NuGet)`);
    const result = probe.run(process.execPath, [script], { cwd: ort.root, env: { ...probe.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12' } });
    if (!result || result.status !== 0) throw new Error(`onnxruntime-node's installer failed: ${firstLine(result?.stderr ?? 'it did not start') || `exit ${result?.status}`}`);
    log.push(...result.stdout.trim().split('\n').filter(Boolean));
    return log;
  }
  const work = mkdtempSync(join(tmpdir(), 'rerankd-gpu-setup-'));
  try {
    log.push(`npm pack ${plan.packageSpec}`);
    const pack = probe.run('npm', ['pack', plan.packageSpec, '--silent'], { cwd: work });
    if (!pack || pack.status !== 0) throw new Error(`npm pack ${plan.packageSpec} failed: ${firstLine(pack?.stderr ?? 'npm is not installed')}`);
    const tarball = pack.stdout.trim().split('\n').pop() ?? '';
    const untar = probe.run('tar', ['xzf', tarball, '-C', work], { cwd: work });
    if (!untar || untar.status !== 0) throw new Error(`cannot unpack ${tarball}: ${firstLine(untar?.stderr ?? 'tar is not installed')}`);
    const libDir = join(work, 'package', 'Plugins', 'Linux', 'x64');
    for (const name of CUDA_PROVIDER_LIBRARIES) {
      const from = join(libDir, name);
      if (!existsSync(from)) throw new Error(`${plan.packageSpec} has no ${name} (looked in Plugins/Linux/x64)`);
      copyFileSync(from, join(ort.nativeDir, name));
      log.push(`copied ${name} to ${ort.nativeDir}`);
    }
    return log;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The probe of the machine this process runs on. */
export function systemProbe(): SystemProbe {
  return {
    env: process.env,
    run(command, args, options = {}) {
      const result = spawnSync(command, args, { encoding: 'utf8', timeout: 600_000, ...options });
      if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
    },
    listDir(dir) {
      try {
        return readdirSync(dir);
      } catch {
        return [];
      }
    },
  };
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}
