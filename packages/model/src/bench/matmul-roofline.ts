import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GraphBuilder } from '../graph/onnx-builder';
import { projection, type Quantization } from '../graph/quantize';
import { createSession, ort, type SessionOptions } from '../runtime/session';

/** MatMuls per measured run: enough that moving the input and output costs little beside them. */
const CHAIN_LENGTH = 8;

/** Values spread over ±√3/√fanIn, so that activations keep their scale along the chain. */
function patternValues(count: number, fanIn: number): Float32Array {
  const amplitude = Math.sqrt(3 / fanIn);
  return new Float32Array(count).map((_, i) => ((((i * 7) % 97) - 48) / 48) * amplitude);
}

/**
 * MatMul throughput of this machine through ORT on the shapes [tokens, k] × [k, n] and back
 * [tokens, n] × [n, k], chained so a run spends its time in the MatMuls: the ceiling a model run
 * here can approach. fp32, or with int8 the dynamically quantized MatMul that
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
    const down = patternValues(shape.k * shape.n, shape.k);
    const up = patternValues(shape.n * shape.k, shape.n);
    let y = g.input('x', 'float', ['tokens', shape.k]);
    for (let i = 0; i < CHAIN_LENGTH; i++) {
      y = i % 2 === 0 ? projection(g, quantization, y, `w${i}`, down, shape.k, shape.n) : projection(g, quantization, y, `w${i}`, up, shape.n, shape.k);
    }
    g.alias(y, 'y');
    g.output('y', 'float', ['tokens', CHAIN_LENGTH % 2 === 0 ? shape.k : shape.n]);
    writeFileSync(join(dir, 'model.onnx'), g.finish({ '': 23, 'com.microsoft': 1 }, 'matmul'));
    const s = await createSession(join(dir, 'model.onnx'), session);
    const feeds = { x: new ort.Tensor('float32', patternValues(shape.tokens * shape.k, 3), [shape.tokens, shape.k]) };
    await s.run(feeds);
    let runs = 0;
    const start = performance.now();
    while (performance.now() - start < minSeconds * 1000) {
      await s.run(feeds);
      runs++;
    }
    const seconds = (performance.now() - start) / 1000;
    await s.release();
    return (2 * shape.tokens * shape.k * shape.n * CHAIN_LENGTH * runs) / seconds / 1e9;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The roofline a model's run is measured against: the best MatMul rate (fp32, or int8) over the
 * shapes of its own projections (1,024 tokens, a CPU step), so the figure is what this CPU can
 * really reach.
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
    { tokens: 1024, k: H, n: I },
    { tokens: 1024, k: H, n: 2 * I },
    { tokens: 1024, k: H, n: H },
  ];
  let best = 0;
  for (const shape of shapes) best = Math.max(best, await measureMatMulGflops(shape, session, secondsPerShape, quantization));
  return best;
}
