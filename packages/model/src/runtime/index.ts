export { parseDevice, isCuda, cudaDeviceId, type Device } from './device';
export { resolveComputeDtype } from './dtype';
export { checkDevice, createSession, executionInfo, type ExecutionInfo, type SessionOptions } from './session';
export { findOrtInstall, missingProviderLibraries, CUDA_PROVIDER_LIBRARIES, type OrtInstall } from './ort-install';
export {
  detectGpuSetup,
  formatGpuSetupReport,
  planProviderInstall,
  installProvider,
  systemProbe,
  CUDA13_PROVIDER_PACKAGE,
  type GpuSetupReport,
  type InstallPlan,
  type SystemProbe,
  type CommandResult,
} from './cuda-setup';
export { DTYPE_CHOICES, isDtypeChoice, type ComputeDtype, type DtypeChoice } from '../graph/precision';
