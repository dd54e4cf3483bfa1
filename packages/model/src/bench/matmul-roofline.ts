import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphBuilder } from '../graph/onnx-builder';
import { projection, type Quantization } from '../graph/quantize';
import { createSession, ort, type SessionOptions } from '../runtime/session';

/**
 * MatMul throughput of this machine through ORT, on a [tokens, k] × [k, n] product: the ceiling
 * a model run here can approach. fp32, or with int8 the dynamically quantized MatMul that
 * `--quantization int8` runs its projections with (GOP/s then).
 */
export async function measureMatMulGflops(
  shape: { tokens: number; k: number; n: number },
  session: SessionOptions,
  minSeconds = 2,
  quantization: Quantization = 'none',
): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'rerankd-roofline-'));
  try {
    const g = new GraphBuilder(join(dir, 'weights.bin'), 'weights.bin');
    const x = g.input('x', 'float', ['tokens', shape.k]);
    const weight = new Float32Array(shape.k * shape.n).map((_, i) => ((i % 97) - 48) / 4800);
    g.alias(projection(g, quantization, x, 'w', weight, shape.k, shape.n), 'y');
    g.output('y', 'float', ['tokens', shape.n]);
    writeFileSync(join(dir, 'model.onnx'), g.finish({ '': 23, 'com.microsoft': 1 }, 'matmul'));
    const s = await createSession(join(dir, 'model.onnx'), session);
    const feeds = { x: new ort.Tensor('float32', new Float32Array(shape.tokens * shape.k).fill(0.01), [shape.tokens, shape.k]) };
    await s.run(feeds);
    let runs = 0;
    const start = performance.now();
    while (performance.now() - start < minSeconds * 1000) {
      await s.run(feeds);
      runs++;
    }
    const seconds = (performance.now() - start) / 1000;
    await s.release();
    return (2 * shape.tokens * shape.k * shape.n * runs) / seconds / 1e9;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The roofline a model's run is measured against: the best MatMul rate (fp32, or int8) over the
 * shapes of its own projections (2,048 tokens), so the figure is what this CPU can really reach.
 */
export async function modelRooflineGflops(
  config: { hiddenSize: number; intermediateSize: number },
  session: SessionOptions,
  secondsPerShape = 1,
  quantization: Quantization = 'none',
): Promise<number> {
  const H = config.hiddenSize;
  const I = config.intermediateSize;
  const shapes = [
    { tokens: 2048, k: H, n: 2 * I },
    { tokens: 2048, k: I, n: H },
    { tokens: 2048, k: H, n: H },
  ];
  let best = 0;
  for (const shape of shapes) best = Math.max(best, await measureMatMulGflops(shape, session, secondsPerShape, quantization));
  return best;
}
