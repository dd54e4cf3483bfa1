import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { getFloat16, setFloat16 } from '@petamoriken/float16';
import onnxProto from 'onnx-proto';
import { DeviceError } from '@rerankd/protocol';
import { FIXTURE_MODELS, fixtureModelDir, loadReference, type ReferencePair } from '@rerankd/testing';
import { compileGraph } from '../src/graph/compile';
import { encodeValues, float32BitsToBfloat16Bits, float32BitsToFloat16Bits } from '../src/graph/precision';
import { loadHfModel } from '../src/hf/load';
import { loadReranker, type LoadedReranker } from '../src/load-reranker';
import type { PairInput } from '../src/reranker';

const { onnx } = onnxProto;

// What an fp16/bf16 engine may differ from transformers' fp32 scores (fixtures/README.md: transformers
// itself in bf16 on an H100 differs by up to 0.006).
const HALF_SCORE_TOLERANCE = 1e-2;

const toPair = (p: ReferencePair): PairInput => ({
  query: p.query,
  document: p.document,
  ...(p.instruction !== null ? { instruction: p.instruction } : {}),
});

const bitsOf = (value: number) => new Uint32Array(Float32Array.of(value).buffer)[0] as number;

/** float16 rounding as @petamoriken/float16 (an independent implementation) does it. */
function referenceHalfBits(value: number): number {
  const view = new DataView(new ArrayBuffer(2));
  setFloat16(view, 0, value, true);
  return view.getUint16(0, true);
}

describe('float32 → float16 / bfloat16 weights', () => {
  test('float16 rounds to nearest even like an independent implementation, across normals, subnormals, overflow and specials', () => {
    const edges = [0, -0, 1, -1, 65504, 65519.99, 65520, -65520, 1e6, 2 ** -14, 2 ** -24, 2 ** -25, 2 ** -25 * 1.0001, 2 ** -26, 3 * 2 ** -25, 1e-8, 0.1, 1 / 3, Infinity, -Infinity];
    let state = 12345;
    const random = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const samples = [...edges, ...Array.from({ length: 20000 }, () => (random() - 0.5) * 2 ** Math.floor(random() * 60 - 30))];
    for (const value of samples) {
      const float = Math.fround(value);
      assert.equal(float32BitsToFloat16Bits(bitsOf(float)), referenceHalfBits(float), `float16 of ${float}`);
    }
    const nan = float32BitsToFloat16Bits(bitsOf(NaN));
    assert.ok(Number.isNaN(getFloat16(new DataView(Uint16Array.of(nan).buffer), 0, true)));
  });

  test('bfloat16 keeps the upper half, rounded to nearest even; NaN stays NaN', () => {
    assert.equal(float32BitsToBfloat16Bits(bitsOf(1)), 0x3f80);
    assert.equal(float32BitsToBfloat16Bits(0x3f808000), 0x3f80); // halfway, even stays
    assert.equal(float32BitsToBfloat16Bits(0x3f818000), 0x3f82); // halfway, odd rounds up
    assert.equal(float32BitsToBfloat16Bits(0x3f808001), 0x3f81);
    assert.equal(float32BitsToBfloat16Bits(0x7f800001) & 0x7fc0, 0x7fc0);
    const values = encodeValues(Float32Array.of(1.5, -2, 0.1), 'bfloat16');
    assert.ok(values instanceof Uint16Array);
    assert.deepEqual([...values], [0x3fc0, 0xc000, 0x3dcd]);
  });

  test('float32 weights are passed through untouched', () => {
    const values = Float32Array.of(0.1, 2);
    assert.equal(encodeValues(values, 'float32'), values);
  });
});

describe('a float16 graph', () => {
  for (const name of ['qwen3-tiny-tied', 'bert-tiny-ce'] as const) {
    test(`${name}: weights are stored in float16, token inputs stay int64 and the logits leave as float32`, () => {
      const { config, weights } = loadHfModel(fixtureModelDir(name));
      const graph = compileGraph(config, weights, { maxPositions: 64, headTokenIds: [9693, 2152], dtype: 'float16' });
      try {
        const model = onnx.ModelProto.decode(readFileSync(graph.modelPath));
        const { DataType } = onnx.TensorProto;
        const floatTypes = [DataType.FLOAT, DataType.FLOAT16, DataType.BFLOAT16];
        const floatInitializers = (model.graph?.initializer ?? []).filter((t) => floatTypes.includes(t.dataType ?? 0));
        const notHalf = floatInitializers.filter((t) => t.dataType !== DataType.FLOAT16).map((t) => t.name);
        // Only a Qwen3 head's two rows stay float32 (computed after the Cast, at no cost).
        assert.deepEqual(notHalf, name.startsWith('qwen3') ? ['head'] : []);
        const tokenInputs = (model.graph?.input ?? []).filter((i) => !i.name?.startsWith('past_'));
        assert.ok(tokenInputs.length >= 3);
        for (const input of tokenInputs) assert.equal(input.type?.tensorType?.elemType, DataType.INT64, `input ${input.name}`);
        const logits = (model.graph?.output ?? []).find((o) => o.name === 'logits');
        assert.equal(logits?.type?.tensorType?.elemType, DataType.FLOAT);
        const norms = (model.graph?.node ?? []).filter((n) => n.opType === 'RMSNormalization' || n.opType === 'LayerNormalization');
        assert.ok(norms.length > 0);
        for (const n of norms) assert.equal(Number(n.attribute?.find((a) => a.name === 'stash_type')?.i), 1, `${n.name} accumulates in float32`);
        if (name === 'bert-tiny-ce') {
          // The attention mask is built by broadcasting, without shape arithmetic, which the CUDA
          // provider hands to the CPU (and a session that forbids CPU fallback then refuses).
          assert.deepEqual((model.graph?.node ?? []).filter((n) => ['Shape', 'ConstantOfShape', 'Expand'].includes(n.opType ?? '')).map((n) => n.name), []);
        }
      } finally {
        graph.remove();
      }
    });
  }
});

// ORT's CPU provider runs float16 graphs (most nodes between casts to float32): the same scores
// within the half-precision tolerance. On CUDA, scripts/gpu/check-fixtures.ts checks all dtypes.
for (const name of FIXTURE_MODELS) {
  describe(`${name} in float16 on the CPU`, () => {
    let reranker: LoadedReranker;
    const reference = loadReference(name);
    before(async () => {
      reranker = await loadReranker({ model: fixtureModelDir(name), dtype: 'float16' });
    });
    after(() => reranker.close());

    test('scores every reference pair within 1e-2 of transformers fp32', async () => {
      assert.deepEqual(reranker.execution, { device: 'cpu', provider: 'CPUExecutionProvider', dtype: 'float16', allNodesOnDevice: true });
      const outputs = await reranker.score(reference.pairs.map(toPair), { emitIds: true });
      reference.pairs.forEach((ref, i) => {
        const out = outputs[i];
        assert.ok(out);
        assert.deepEqual(out.inputIds, ref.input_ids, `pair ${i}: input ids`);
        assert.ok(Math.abs(out.score - ref.score) < HALF_SCORE_TOLERANCE, `pair ${i}: score ${out.score} vs ${ref.score}`);
      });
    });
  });
}

describe('dtype on the CPU', () => {
  test('auto is float32 on the CPU, whatever the checkpoint holds (qwen3-tiny-tied is bf16)', async () => {
    const reranker = await loadReranker({ model: fixtureModelDir('qwen3-tiny-tied') });
    try {
      assert.equal(reranker.execution.dtype, 'float32');
    } finally {
      await reranker.close();
    }
  });

  test('bfloat16 is refused before any graph is built: ORT\'s CPU provider has no bfloat16 kernels', async () => {
    await assert.rejects(loadReranker({ model: fixtureModelDir('bert-tiny-ce'), dtype: 'bfloat16' }), (err: unknown) => {
      assert.ok(err instanceof DeviceError, `expected DeviceError, got ${String(err)}`);
      assert.equal(err.device, 'cpu');
      assert.match(err.message, /bfloat16 needs a CUDA device.*--dtype float32/);
      return true;
    });
  });
});
