import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { Tokenizer } from '@anush008/tokenizers';
import { fixtureModelDir, makeTempDir, type FixtureModel } from '@rerankd/testing';
import { loadHfModel } from '../src/hf/load';
import type { DimOverrides, PresetName } from '../src/hf/presets';
import { makeRandomModel, type RandomModel } from '../src/hf/random-model';
import { writeModelSafetensors, writeSafetensors, type TensorToWrite } from '../src/hf/safetensors-writer';

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** A safetensors file taken apart with nothing but fs and JSON. */
function readSafetensorsFile(file: string) {
  const bytes = readFileSync(file);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const headerText = bytes.subarray(8, 8 + headerLength).toString('utf8');
  const header = JSON.parse(headerText) as Record<string, HeaderEntry> & { __metadata__?: unknown };
  const { __metadata__: metadata, ...tensors } = header;
  const data = (name: string) => {
    const [start, end] = tensors[name]!.data_offsets;
    return bytes.subarray(8 + headerLength + start, 8 + headerLength + end);
  };
  return { bytes, headerLength, headerText, metadata, tensors, data };
}

/** Removed after the test, or the describe block, that asked for it. */
function freshDir(): string {
  return makeTempDir('random-model');
}

const floatsFromBits = (bits: number[]) => new Float32Array(new Uint32Array(bits).buffer);
const copyOf = (bytes: Uint8Array) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
const halves = (bytes: Uint8Array) => [...new Uint16Array(copyOf(bytes))];
const floats = (bytes: Uint8Array) => new Float32Array(copyOf(bytes));

describe('writeSafetensors', () => {
  // [float32 bits, bfloat16 bits]: exact values, ties to even, either side of a tie, overflow, NaN.
  const bf16Cases: [number, number][] = [
    [0x3f800000, 0x3f80],
    [0x3f808000, 0x3f80],
    [0x3f818000, 0x3f82],
    [0x3f808001, 0x3f81],
    [0x3f807fff, 0x3f80],
    [0x7f7fffff, 0x7f80],
    [0xff800000, 0xff80],
    [0x80000000, 0x8000],
    [0x00000001, 0x0000],
    [0x7fc00000, 0x7fc0],
    [0x7f800001, 0x7fc0],
  ];
  // [value, float16 bits]: ties to even, the largest half, overflow, subnormals, NaN, -0.
  const f16Cases: [number, number][] = [
    [1, 0x3c00],
    [1 + 2 ** -11, 0x3c00],
    [1 + 3 * 2 ** -11, 0x3c02],
    [-2, 0xc000],
    [65504, 0x7bff],
    [65519, 0x7bff],
    [65520, 0x7c00],
    [2 ** -24, 0x0001],
    [2 ** -25, 0x0000],
    [3 * 2 ** -26, 0x0001],
    [-0, 0x8000],
    [NaN, 0x7e00],
  ];
  const f32Bits = [0x3f800000, 0xc0490fdb, 0x7fc00001, 0x00000001, 0x80000000, 0x7f800000];

  it('writes F32, BF16 and F16 with the header, alignment and rounding of the format', async () => {
    const file = join(freshDir(), 'mixed.safetensors');
    await writeSafetensors(file, [
      { name: 'half', dtype: 'F16', shape: [f16Cases.length], values: new Float32Array(f16Cases.map(([value]) => value)) },
      { name: 'brain', dtype: 'BF16', shape: [bf16Cases.length], values: floatsFromBits(bf16Cases.map(([bits]) => bits)) },
      { name: 'b.single', dtype: 'F32', shape: [2, 3], values: floatsFromBits(f32Bits) },
      { name: 'a.single', dtype: 'F32', shape: [1], values: new Float32Array([0.5]) },
    ]);
    const { bytes, headerLength, headerText, metadata, tensors, data } = readSafetensorsFile(file);

    assert.equal(headerLength % 8, 0);
    assert.match(headerText, /^\{"__metadata__":\{"format":"pt"\},.*\} *$/);
    assert.deepEqual(metadata, { format: 'pt' });
    // Laid out as the safetensors library does: F32 first, then BF16, then F16, each by name.
    assert.deepEqual(Object.keys(tensors), ['a.single', 'b.single', 'brain', 'half']);
    assert.deepEqual(tensors['b.single'], { dtype: 'F32', shape: [2, 3], data_offsets: [4, 28] });
    assert.deepEqual(tensors.brain!.data_offsets, [28, 28 + 2 * bf16Cases.length]);
    assert.equal(bytes.length, 8 + headerLength + tensors.half!.data_offsets[1]);

    assert.deepEqual([...new Uint32Array(copyOf(data('b.single')))], f32Bits);
    assert.deepEqual(halves(data('brain')), bf16Cases.map(([, bits]) => bits));
    assert.deepEqual(halves(data('half')), f16Cases.map(([, bits]) => bits));
  });

  it('streams values given in chunks, and lets the producer reuse a chunk buffer', async () => {
    const values = Array.from({ length: 11 }, (_, i) => i - 5);
    function* reusedChunks() {
      const buffer = new Float32Array(4);
      for (let start = 0; start < values.length; start += 4) {
        const chunk = buffer.subarray(0, Math.min(4, values.length - start));
        chunk.set(values.slice(start, start + 4));
        yield chunk;
      }
    }
    const file = join(freshDir(), 'chunked.safetensors');
    await writeSafetensors(file, [{ name: 'w', dtype: 'F32', shape: [11], values: reusedChunks() }]);
    const { data } = readSafetensorsFile(file);
    assert.deepEqual([...floats(data('w'))], values);
  });

  it('refuses values that do not fill the shape, and duplicate names', async () => {
    const dir = freshDir();
    await assert.rejects(
      writeSafetensors(join(dir, 'short.safetensors'), [{ name: 'w', dtype: 'F32', shape: [2, 3], values: new Float32Array(5) }]),
      /tensor w of shape \[2, 3\] needs 6 values, got 5/,
    );
    await assert.rejects(
      writeSafetensors(join(dir, 'long.safetensors'), [{ name: 'w', dtype: 'BF16', shape: [2], values: [new Float32Array(2), new Float32Array(1)] }]),
      /needs 2 values, got 3 or more/,
    );
    const twice: TensorToWrite = { name: 'w', dtype: 'F32', shape: [1], values: new Float32Array(1) };
    await assert.rejects(writeSafetensors(join(dir, 'twice.safetensors'), [twice, { ...twice }]), /duplicate tensor name w/);
  });
});

describe('writeModelSafetensors', () => {
  const tensors = (): TensorToWrite[] =>
    ['embed', 'layer.0', 'layer.1', 'head'].map((name, i) => ({
      name,
      dtype: 'BF16',
      shape: [name === 'embed' || name === 'head' ? 6 : 2, 4],
      values: new Float32Array(name === 'embed' || name === 'head' ? 24 : 8).fill(i),
    }));

  it('writes one model.safetensors when the weights fit in a shard', async () => {
    const dir = freshDir();
    const written = await writeModelSafetensors(dir, tensors(), { maxShardBytes: 1000 });
    assert.deepEqual(written, { files: ['model.safetensors'], totalSize: 128 });
    assert.deepEqual(readdirSync(dir), ['model.safetensors']);
  });

  it('shards in the given order when a tensor would overflow the current shard, with an index', async () => {
    const dir = freshDir();
    const written = await writeModelSafetensors(dir, tensors(), { maxShardBytes: 80 });
    const shards = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
    assert.deepEqual(written, { files: [...shards, 'model.safetensors.index.json'], totalSize: 128 });
    const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
    assert.deepEqual(index, {
      metadata: { total_size: 128 },
      weight_map: { embed: shards[0], head: shards[1], 'layer.0': shards[0], 'layer.1': shards[0] },
    });
    assert.deepEqual(Object.keys(index.weight_map), ['embed', 'head', 'layer.0', 'layer.1']);
    const first = readSafetensorsFile(join(dir, shards[0]!));
    assert.deepEqual(Object.keys(first.tensors), ['embed', 'layer.0', 'layer.1']);
    assert.deepEqual(halves(first.data('layer.1')), new Array(8).fill(0x4000));
    assert.deepEqual(Object.keys(readSafetensorsFile(join(dir, shards[1]!)).tensors), ['head']);
  });
});

/** Each preset made at the sizes of the fixture model of the same layout. */
const tinyVariants: { like: PresetName; fixture: FixtureModel; overrides: DimOverrides; maxShardBytes?: number }[] = [
  { like: 'qwen3-reranker-0.6b', fixture: 'qwen3-tiny-tied', overrides: { numLayers: 3, hiddenSize: 32, numHeads: 4, numKvHeads: 2, headDim: 16, intermediateSize: 64 } },
  {
    like: 'qwen3-reranker-4b',
    fixture: 'qwen3-tiny-untied',
    overrides: { numLayers: 2, hiddenSize: 24, numHeads: 6, numKvHeads: 2, headDim: 8, intermediateSize: 72 },
    // Small enough to put lm_head in a second shard, as the fixture's 2 shards do.
    maxShardBytes: 8_000_000,
  },
  { like: 'ms-marco-minilm-l6', fixture: 'bert-tiny-ce', overrides: { numLayers: 2, hiddenSize: 32, numHeads: 4, intermediateSize: 64 } },
  { like: 'bge-reranker-v2-m3', fixture: 'xlmr-tiny-ce', overrides: { numLayers: 2, hiddenSize: 32, numHeads: 4, intermediateSize: 64, maxPositionEmbeddings: 514 } },
];

/** Tensor name → [file, header entry] over every safetensors file of a model directory. */
function headersOf(dir: string): Map<string, [string, HeaderEntry]> {
  const entries = new Map<string, [string, HeaderEntry]>();
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.safetensors')).sort()) {
    for (const [name, entry] of Object.entries(readSafetensorsFile(join(dir, file)).tensors)) entries.set(name, [file, entry]);
  }
  return entries;
}

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

for (const { like, fixture, overrides, maxShardBytes } of tinyVariants) {
  describe(`makeRandomModel like ${like}, at the sizes of ${fixture}`, () => {
    const dir = join(freshDir(), like);
    const real = fixtureModelDir(fixture);
    let made: RandomModel;
    before(async () => {
      made = await makeRandomModel({ like, outDir: dir, seed: 7, overrides, maxShardBytes });
    });
    const encoder = !like.startsWith('qwen3');

    it('has the tensor names, shapes, dtypes and files of the real checkpoint layout', () => {
      const ours = headersOf(dir);
      const theirs = headersOf(real);
      assert.deepEqual([...ours.keys()].sort(), [...theirs.keys()].sort());
      for (const [name, [file, entry]] of theirs) {
        const [ourFile, ourEntry] = ours.get(name)!;
        assert.equal(ourFile, file, name);
        if (!encoder) {
          assert.deepEqual(ourEntry, entry, name);
          continue;
        }
        // The fixtures' encoders have small made-up vocabularies (which shifts every offset);
        // the presets keep the real one.
        assert.equal(ourEntry.dtype, entry.dtype, name);
        if (name.endsWith('word_embeddings.weight')) assert.equal(ourEntry.shape[1], entry.shape[1]);
        else assert.deepEqual(ourEntry.shape, entry.shape, name);
      }
      if (!encoder) {
        // Same sizes, same bytes up to the tensor data: the headers are those safetensors writes.
        for (const file of readdirSync(real).filter((name) => name.endsWith('.safetensors'))) {
          assert.equal(readSafetensorsFile(join(dir, file)).headerText, readSafetensorsFile(join(real, file)).headerText, file);
        }
      }
      if (like === 'qwen3-reranker-4b') {
        assert.deepEqual(readJson(join(dir, 'model.safetensors.index.json')).weight_map, readJson(join(real, 'model.safetensors.index.json')).weight_map);
      }
    });

    it('writes a config.json that agrees with the real one and loads with its weights', () => {
      const config = readJson(join(dir, 'config.json'));
      const expected = readJson(join(real, 'config.json'));
      const keys = ['architectures', 'model_type', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'max_position_embeddings'];
      const qwen3Keys = ['num_key_value_heads', 'head_dim', 'vocab_size', 'tie_word_embeddings', 'rms_norm_eps', 'bos_token_id', 'eos_token_id'];
      const encoderKeys = ['type_vocab_size', 'pad_token_id', 'hidden_act', 'id2label'];
      for (const key of [...keys, ...(encoder ? encoderKeys : qwen3Keys)]) assert.deepEqual(config[key], expected[key], key);
      // The transformers-4 style the real checkpoints carry.
      assert.equal(config.torch_dtype, encoder ? 'float32' : 'bfloat16');
      assert.match(String(config.transformers_version), /^4\./);
      if (!encoder) assert.equal(config.rope_theta, 1_000_000);

      const loaded = loadHfModel(dir);
      assert.equal(loaded.config.architecture, (expected.architectures as string[])[0]);
      assert.equal(made.parameters, [...headersOf(dir).values()].reduce((sum, [, e]) => sum + e.shape.reduce((a, b) => a * b, 1), 0));
    });

    it('writes a tokenizer of the model vocabulary with its pair format', async () => {
      const tokenizer = Tokenizer.fromFile(join(dir, 'tokenizer.json'));
      const config = readJson(join(dir, 'config.json'));
      assert.equal(tokenizer.getVocabSize(true), config.vocab_size);
      const readme = readFileSync(join(dir, 'README.md'), 'utf8');
      if (like === 'ms-marco-minilm-l6') {
        const encoded = await tokenizer.encode('hello world', 'paris');
        // bert-base-uncased's real ids.
        assert.deepEqual(encoded.getIds(), [101, 7592, 2088, 102, 3000, 102]);
        assert.deepEqual(encoded.getTypeIds(), [0, 0, 0, 0, 1, 1]);
        assert.doesNotMatch(readme, /SYNTHETIC/);
      } else if (like === 'bge-reranker-v2-m3') {
        const ids = (await tokenizer.encode('hello', 'world')).getIds();
        assert.deepEqual([ids[0], ids[2], ids[3], ids.at(-1)], [0, 2, 2, 2]);
        assert.equal(ids.length, 6);
        assert.match(readme, /SYNTHETIC/);
      } else {
        // The real Qwen3 tokenizer: the fixtures' reference ids for 'yes' and 'no'.
        assert.deepEqual((await tokenizer.encode('yes')).getIds(), [9693]);
        assert.deepEqual((await tokenizer.encode('no')).getIds(), [2152]);
        assert.deepEqual(readJson(join(dir, 'tokenizer_config.json')), readJson(join(real, 'tokenizer_config.json')));
        assert.ok(readdirSync(dir).includes('generation_config.json'));
      }
    });
  });
}

describe('makeRandomModel weights', () => {
  const overrides: DimOverrides = { numLayers: 1, hiddenSize: 64, numHeads: 2, numKvHeads: 1, headDim: 32, intermediateSize: 128 };

  it('writes identical bytes for the same seed and different weights for another', async () => {
    const [a, b, c] = [freshDir(), freshDir(), freshDir()];
    await makeRandomModel({ like: 'qwen3-reranker-0.6b', outDir: a, seed: 3, overrides });
    await makeRandomModel({ like: 'qwen3-reranker-0.6b', outDir: b, seed: 3, overrides });
    await makeRandomModel({ like: 'qwen3-reranker-0.6b', outDir: c, seed: 4, overrides });
    assert.deepEqual(readdirSync(a), readdirSync(b));
    for (const file of readdirSync(a)) assert.ok(readFileSync(join(a, file)).equals(readFileSync(join(b, file))), file);
    assert.ok(!readFileSync(join(a, 'model.safetensors')).equals(readFileSync(join(c, 'model.safetensors'))));
  });

  it('draws projections with std 0.02 and norm gains around 1, like a trained model', async () => {
    const dir = freshDir();
    await makeRandomModel({ like: 'qwen3-reranker-0.6b', outDir: dir, dtype: 'F32', overrides });
    const { data } = readSafetensorsFile(join(dir, 'model.safetensors'));
    const stats = (name: string) => {
      const values = floats(data(name));
      const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
      const std = Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length);
      return { mean, std, finite: values.every(Number.isFinite) };
    };
    const projection = stats('model.layers.0.mlp.up_proj.weight');
    assert.ok(projection.finite && Math.abs(projection.mean) < 0.002 && Math.abs(projection.std - 0.02) < 0.002, JSON.stringify(projection));
    const norm = stats('model.layers.0.input_layernorm.weight');
    assert.ok(norm.finite && Math.abs(norm.mean - 1) < 0.01 && norm.std > 0 && norm.std < 0.05, JSON.stringify(norm));
  });

  it('refuses unknown presets, sizes the architecture lacks, and a directory in use', async () => {
    await assert.rejects(makeRandomModel({ like: 'gpt-2' as PresetName, outDir: freshDir() }), /unknown model "gpt-2"/);
    await assert.rejects(makeRandomModel({ like: 'ms-marco-minilm-l6', outDir: freshDir(), overrides: { numKvHeads: 2 } }), /no numKvHeads/);
    await assert.rejects(makeRandomModel({ like: 'qwen3-reranker-0.6b', outDir: freshDir(), overrides: { numHeads: 6, numKvHeads: 4 } }), /multiple of numKvHeads/);
    const used = freshDir();
    await makeRandomModel({ like: 'ms-marco-minilm-l6', outDir: used, overrides: { numLayers: 1, hiddenSize: 8, numHeads: 2, intermediateSize: 8 } });
    await assert.rejects(makeRandomModel({ like: 'ms-marco-minilm-l6', outDir: used }), /is not empty/);
  });
});
