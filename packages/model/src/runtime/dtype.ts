import { DeviceError } from '@rerankd/protocol';
import type { ModelDtype } from '../hf/config';
import type { ComputeDtype, DtypeChoice } from '../graph/precision';
import { isCuda, type Device } from './device';

/**
 * The precision a model runs in on `device`. `auto` is the checkpoint's own dtype on CUDA and
 * float32 on the CPU. ORT's CPU provider has no bfloat16 kernels (its MatMul, Add and norms
 * refuse it), so bfloat16 there is refused here, before a graph is built; float16 runs on the
 * CPU (ORT computes most nodes in float32 between casts), which saves memory, not time.
 */
export function resolveComputeDtype(choice: DtypeChoice, checkpoint: ModelDtype, device: Device): ComputeDtype {
  const dtype = choice === 'auto' ? (isCuda(device) ? checkpoint : 'float32') : choice;
  if (dtype === 'bfloat16' && !isCuda(device)) {
    throw new DeviceError(device, 'bfloat16 needs a CUDA device: ONNX Runtime\'s CPU provider has no bfloat16 kernels; use --dtype float32 (or float16) on the CPU');
  }
  return dtype;
}
