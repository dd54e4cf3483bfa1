import ort from 'onnxruntime-node';
import { DeviceError } from '@rerankd/protocol';
import type { ComputeDtype } from '../graph/precision';
import { cudaDeviceId, isCuda, type Device } from './device';
import { findOrtInstall, missingProviderLibraries } from './ort-install';

export type { Device } from './device';

export interface SessionOptions {
  device: Device;
  /** Threads for one operator; ORT's default (all cores) when absent. */
  intraOpThreads?: number;
  /** The graph's compute dtype: float32 on CUDA turns TF32 off (see `keepFloat32Exact`); named in errors. */
  dtype?: ComputeDtype;
  /**
   * CUDA only: let nodes without a CUDA kernel run on the CPU. Off by default: ORT would place
   * them there silently, copying activations back and forth; instead creating the session fails.
   */
  allowCpuFallback?: boolean;
  /** Writes ORT's profile (which provider ran each node, and for how long) to `<prefix>_<date>.json`. */
  profilePrefix?: string;
}

/** What a session actually runs on, for workers to report at start-up. */
export interface ExecutionInfo {
  device: Device;
  provider: 'CPUExecutionProvider' | 'CUDAExecutionProvider';
  dtype: ComputeDtype;
  /** On CUDA, true unless `allowCpuFallback` let ORT place some nodes on the CPU. */
  allNodesOnDevice: boolean;
}

/**
 * An ORT session over a graph file written by the project's builders. On CUDA the weights are
 * copied to the GPU once, at creation; each run then sends only the int64 inputs and receives
 * the [B, n] float32 logits. ORT has no silent CPU fallback here: onnxruntime-node throws when
 * the CUDA provider cannot load, and `allowCpuFallback: false` makes it throw when a node would
 * not run on the GPU. Both become a DeviceError that says what to do.
 */
export async function createSession(modelPath: string, options: SessionOptions): Promise<ort.InferenceSession> {
  const { device } = options;
  const cuda = isCuda(device);
  checkDevice(device);
  if (cuda && options.dtype === 'float32') keepFloat32Exact();
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: [isCuda(device) ? { name: 'cuda', deviceId: cudaDeviceId(device) } : 'cpu'],
    graphOptimizationLevel: 'all',
    ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
    ...(cuda && !options.allowCpuFallback ? { extra: { session: { disable_cpu_ep_fallback: '1' } } } : {}),
    ...(options.profilePrefix ? { enableProfiling: true, profileFilePrefix: options.profilePrefix } : {}),
  };
  try {
    return await ort.InferenceSession.create(modelPath, sessionOptions);
  } catch (error) {
    if (!cuda) throw error;
    throw cudaSessionError(device, options.dtype, error);
  }
}

export function executionInfo(options: SessionOptions & { dtype: ComputeDtype }): ExecutionInfo {
  const cuda = isCuda(options.device);
  return {
    device: options.device,
    provider: cuda ? 'CUDAExecutionProvider' : 'CPUExecutionProvider',
    dtype: options.dtype,
    allNodesOnDevice: !cuda || !options.allowCpuFallback,
  };
}

/**
 * Fails fast, before a graph is built, when `device` cannot work here: on CUDA, when
 * onnxruntime-node has no CUDA provider libraries (ORT would only say it failed to load one).
 */
export function checkDevice(device: Device): void {
  if (!isCuda(device)) return;
  let nativeDir: string;
  try {
    nativeDir = findOrtInstall().nativeDir;
  } catch {
    return; // ORT itself will say what is wrong.
  }
  const missing = missingProviderLibraries(nativeDir);
  if (missing.length > 0) throw new DeviceError(device, providerAdvice(`${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not in ${nativeDir}`));
}

/**
 * ORT's CUDA provider lets cuBLAS use TF32 tensor cores for float32 MatMuls (10-bit mantissas),
 * and onnxruntime-node cannot pass its use_tf32 option. NVIDIA's libraries honour
 * NVIDIA_TF32_OVERRIDE=0 instead; it must be set before cuBLAS starts, so before the first CUDA
 * session of the process. A value the user set is kept.
 */
export function keepFloat32Exact(): void {
  process.env.NVIDIA_TF32_OVERRIDE ??= '0';
}

const CPU_FALLBACK = /assigned to the default CPU EP, but fallback to CPU EP has been explicitly disabled/;
const PROVIDER_LOAD = /Failed to load shared library|providers_cuda|providers_shared/;

/** Turns ORT's failure to start a CUDA session into a DeviceError that says what to do. */
export function cudaSessionError(device: Device, dtype: ComputeDtype | undefined, error: unknown): DeviceError {
  const detail = (error instanceof Error ? error.message : String(error)).trim().split('\n')[0] ?? '';
  if (CPU_FALLBACK.test(detail)) {
    return new DeviceError(device, `some nodes of the graph have no CUDA kernel${dtype ? ` for ${dtype}` : ''} and would run on the CPU; try another --dtype (ORT: ${detail})`);
  }
  if (PROVIDER_LOAD.test(detail)) {
    return new DeviceError(device, `${providerAdvice(providerProblem())} (ORT: ${detail})`);
  }
  return new DeviceError(device, `CUDA session failed: ${detail}`);
}

function providerAdvice(problem: string): string {
  return `the CUDA execution provider of onnxruntime-node cannot be loaded: ${problem}; run "rerankd gpu-setup --check" to see what is missing and "rerankd gpu-setup" to install it`;
}

function providerProblem(): string {
  try {
    const { nativeDir } = findOrtInstall();
    const missing = missingProviderLibraries(nativeDir);
    if (missing.length > 0) return `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not in ${nativeDir}`;
    return `the provider libraries are in ${nativeDir}, but a library they need (CUDA runtime, cuBLAS or cuDNN 9) was not found`;
  } catch {
    return 'onnxruntime-node was not found';
  }
}

export { ort };
