import ort from 'onnxruntime-node';

export type Device = 'cpu' | `cuda:${number}`;

export interface SessionOptions {
  device: Device;
  /** Threads for one operator; ORT's default (all cores) when absent. */
  intraOpThreads?: number;
}

/** An ORT session over a graph file written by the project's builders. */
export async function createSession(modelPath: string, options: SessionOptions): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(modelPath, {
    executionProviders: [executionProvider(options.device)],
    graphOptimizationLevel: 'all',
    ...(options.intraOpThreads ? { intraOpNumThreads: options.intraOpThreads } : {}),
  });
}

function executionProvider(device: Device): ort.InferenceSession.ExecutionProviderConfig {
  if (device === 'cpu') return 'cpu';
  return { name: 'cuda', deviceId: Number(device.slice('cuda:'.length)) };
}

export { ort };
