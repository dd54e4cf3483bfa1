import { InvalidRequestError } from '@rerankd/protocol';

/** Where a model runs: the CPU, or one CUDA GPU by its index. */
export type Device = 'cpu' | `cuda:${number}`;

/** Parses `cpu`, `cuda` (GPU 0) or `cuda:N`, as --device takes them. */
export function parseDevice(text: string): Device {
  const value = text.trim().toLowerCase();
  if (value === 'cpu') return 'cpu';
  if (value === 'cuda') return 'cuda:0';
  const match = /^cuda:(\d{1,3})$/.exec(value);
  if (match) return `cuda:${Number(match[1])}`;
  throw new InvalidRequestError(`--device must be cpu, cuda or cuda:N (N the GPU's index), not "${text}"`, 'device');
}

export function isCuda(device: Device): device is `cuda:${number}` {
  return device.startsWith('cuda:');
}

/** The GPU index of a CUDA device. */
export function cudaDeviceId(device: `cuda:${number}`): number {
  return Number(device.slice('cuda:'.length));
}
