import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DeviceError, InvalidRequestError } from '@rerankd/protocol';
import { fixtureModelDir, makeTempDir } from '@rerankd/testing';
import { GraphBuilder } from '../src/graph/onnx-builder';
import { loadReranker } from '../src/load-reranker';
import { parseDevice } from '../src/runtime/device';
import { resolveComputeDtype } from '../src/runtime/dtype';
import { findOrtInstall, missingProviderLibraries } from '../src/runtime/ort-install';
import { createSession, cudaSessionError, ort } from '../src/runtime/session';

// ORT logs the failed provider load on stderr too; the assertions below check what it throws.
ort.env.logLevel = 'fatal';

/** Whether onnxruntime-node here has its CUDA provider libraries (a GPU machine after gpu-setup). */
const providerInstalled = missingProviderLibraries(findOrtInstall().nativeDir).length === 0;

/** A one-node graph (Relu) in a fresh directory, removed after the test. */
function tinyGraph(): string {
  const dir = makeTempDir('gpu-device');
  const g = new GraphBuilder(join(dir, 'weights.bin'), 'weights.bin');
  g.alias(g.op('Relu', [g.input('x', 'float', [2])]), 'y');
  g.output('y', 'float', [2]);
  const path = join(dir, 'model.onnx');
  writeFileSync(path, g.finish({ '': 23 }, 'tiny'));
  return path;
}

describe('--device', () => {
  test('cpu, cuda and cuda:N; anything else is a clear error', () => {
    assert.equal(parseDevice('cpu'), 'cpu');
    assert.equal(parseDevice('cuda'), 'cuda:0');
    assert.equal(parseDevice('CUDA:1'), 'cuda:1');
    for (const bad of ['gpu', 'cuda:', 'cuda:x', 'mps', '']) {
      assert.throws(() => parseDevice(bad), (err: unknown) => err instanceof InvalidRequestError && /--device must be cpu, cuda or cuda:N/.test(err.message), bad);
    }
  });
});

describe('--dtype', () => {
  test('auto: the checkpoint\'s dtype on CUDA, float32 on the CPU; explicit choices stand', () => {
    assert.equal(resolveComputeDtype('auto', 'bfloat16', 'cuda:0'), 'bfloat16');
    assert.equal(resolveComputeDtype('auto', 'float16', 'cuda:0'), 'float16');
    assert.equal(resolveComputeDtype('auto', 'bfloat16', 'cpu'), 'float32');
    assert.equal(resolveComputeDtype('float16', 'bfloat16', 'cpu'), 'float16');
    assert.equal(resolveComputeDtype('float32', 'bfloat16', 'cuda:0'), 'float32');
  });

  test('bfloat16 on the CPU is a DeviceError naming the way out', () => {
    assert.throws(() => resolveComputeDtype('bfloat16', 'float32', 'cpu'), (err: unknown) => err instanceof DeviceError && /--dtype float32/.test(err.message));
  });
});

describe('asking for CUDA', () => {
  test('onnxruntime-node never falls back to the CPU by itself: without the provider, creating a CUDA session throws', async () => {
    const path = tinyGraph();
    const attempt = ort.InferenceSession.create(path, { executionProviders: [{ name: 'cuda', deviceId: 0 }] });
    if (!providerInstalled) {
      // This is the message that cudaSessionError turns into advice.
      await assert.rejects(attempt, /OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library/);
    } else {
      // A machine with the provider: a session exists only if CUDA came up.
      await attempt.then(
        (session) => session.release(),
        (err: unknown) => assert.match(String(err), /CUDA|cuda/),
      );
    }
  });

  test('loading a model on cuda fails fast with a DeviceError that says what to run, or runs on CUDA', async () => {
    const started = performance.now();
    const result = await loadReranker({ model: fixtureModelDir('bert-tiny-ce'), device: 'cuda:0' }).then(
      (reranker) => ({ reranker }),
      (error: unknown) => ({ error }),
    );
    if ('reranker' in result) {
      // Only where the provider and a GPU exist: never a CPU session in disguise.
      assert.ok(providerInstalled);
      assert.equal(result.reranker.execution.provider, 'CUDAExecutionProvider');
      assert.equal(result.reranker.execution.allNodesOnDevice, true);
      await result.reranker.close();
      return;
    }
    assert.ok(result.error instanceof DeviceError, `expected DeviceError, got ${String(result.error)}`);
    assert.equal(result.error.device, 'cuda:0');
    assert.equal(result.error.kind, 'model_load');
    if (!providerInstalled) {
      assert.match(result.error.message, /^cuda:0: the CUDA execution provider of onnxruntime-node cannot be loaded: libonnxruntime_providers_cuda\.so and libonnxruntime_providers_shared\.so are not in .*; run "rerankd gpu-setup --check"/);
      // Refused before the graph was built or ORT was asked.
      assert.ok(performance.now() - started < 5000);
    }
  });

  test('createSession on cuda turns ORT\'s failures into DeviceErrors too', async () => {
    if (!providerInstalled) {
      await assert.rejects(createSession(tinyGraph(), { device: 'cuda:0' }), (err: unknown) => err instanceof DeviceError && /gpu-setup/.test(err.message));
    }
    const load = cudaSessionError('cuda:0', 'float16', new Error('OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library'));
    assert.match(load.message, /^cuda:0: the CUDA execution provider of onnxruntime-node cannot be loaded: .*rerankd gpu-setup.*\(ORT: OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library\)$/);
    const fallback = cudaSessionError(
      'cuda:1',
      'bfloat16',
      new Error('This session contains graph nodes that are assigned to the default CPU EP, but fallback to CPU EP has been explicitly disabled by the user.'),
    );
    assert.match(fallback.message, /^cuda:1: some nodes of the graph have no CUDA kernel for bfloat16 and would run on the CPU/);
    const noGpu = cudaSessionError('cuda:0', undefined, new Error('CUDA failure 100: no CUDA-capable device is detected ; GPU=0'));
    assert.equal(noGpu.message, 'cuda:0: CUDA session failed: CUDA failure 100: no CUDA-capable device is detected ; GPU=0');
  });
});
