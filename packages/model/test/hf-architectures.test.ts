import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURE_MODELS, copyFixtureModel, fixtureModelDir } from '@rerankd/testing';
import { expectedTensors, lmHeadWeightName, loadHfModel, loadModelConfig, readSafetensorsHeader, type ModelWeights, type Qwen3Config } from '../src/hf';
import { editTensors } from './hf-safetensors-edit';

function headerShapes(dir: string): Map<string, number[]> {
  const index = join(dir, 'model.safetensors.index.json');
  const files = dir.includes('untied')
    ? [...new Set(Object.values((JSON.parse(readFileSync(index, 'utf8')) as { weight_map: Record<string, string> }).weight_map))]
    : ['model.safetensors'];
  return new Map(files.flatMap((f) => readSafetensorsHeader(join(dir, f)).map((t): [string, number[]] => [t.name, t.shape])));
}

for (const name of FIXTURE_MODELS) {
  test(`${name}: the architecture expects exactly the tensors the checkpoint holds`, () => {
    const dir = fixtureModelDir(name);
    const expected = expectedTensors(loadModelConfig(dir));
    assert.deepEqual(new Map([...expected].sort()), new Map([...headerShapes(dir)].sort()));
    assert.doesNotThrow(() => loadHfModel(dir));
  });
}

test('a tied Qwen3 reads its vocabulary rows from the embedding, an untied one from lm_head', () => {
  assert.equal(lmHeadWeightName(loadModelConfig(fixtureModelDir('qwen3-tiny-tied')) as Qwen3Config), 'model.embed_tokens.weight');
  assert.equal(lmHeadWeightName(loadModelConfig(fixtureModelDir('qwen3-tiny-untied')) as Qwen3Config), 'lm_head.weight');
});

test('Qwen3ForSequenceClassification needs score.weight [1, hidden] instead of lm_head', () => {
  const dir = copyFixtureModel('qwen3-tiny-untied');
  const configFile = join(dir, 'config.json');
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(configFile, JSON.stringify({ ...config, architectures: ['Qwen3ForSequenceClassification'], num_labels: 1 }));
  const expected = expectedTensors(loadModelConfig(dir));
  assert.deepEqual(expected.get('score.weight'), [1, 24]);
  assert.equal(expected.has('lm_head.weight'), false);
  editTensors(join(dir, 'model-00002-of-00002.safetensors'), ([lmHead]) => [
    { name: 'score.weight', dtype: 'BF16', shape: [1, 24], data: lmHead!.data.subarray(0, 48) },
  ]);
  const indexFile = join(dir, 'model.safetensors.index.json');
  const { weight_map: weightMap } = JSON.parse(readFileSync(indexFile, 'utf8')) as { weight_map: Record<string, string> };
  delete weightMap['lm_head.weight'];
  writeFileSync(indexFile, JSON.stringify({ weight_map: { ...weightMap, 'score.weight': 'model-00002-of-00002.safetensors' } }));
  assert.equal(loadHfModel(dir).weights.float32('score.weight', [1, 24]).length, 24);
});

test('Qwen3 weights saved without the model. prefix load under canonical names', () => {
  const dir = copyFixtureModel('qwen3-tiny-tied');
  editTensors(join(dir, 'model.safetensors'), (tensors) => tensors.map((t) => ({ ...t, name: t.name.replace(/^model\./, '') })));
  const { weights } = loadHfModel(dir);
  assert.equal(weights.info('model.norm.weight').storedName, 'norm.weight');
  assert.deepEqual(weights.float32('model.norm.weight'), fixtureWeights('qwen3-tiny-tied').float32('model.norm.weight'));
});

test('BERT LayerNorm.gamma/beta and unprefixed encoder weights load under canonical names', () => {
  const dir = copyFixtureModel('bert-tiny-ce');
  editTensors(join(dir, 'model.safetensors'), (tensors) =>
    tensors.map((t) => ({
      ...t,
      name: t.name.replace(/^bert\./, '').replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta'),
    })),
  );
  const { weights } = loadHfModel(dir);
  assert.equal(weights.info('bert.embeddings.LayerNorm.weight').storedName, 'embeddings.LayerNorm.gamma');
  assert.deepEqual(weights.float32('bert.encoder.layer.1.output.LayerNorm.bias'), fixtureWeights('bert-tiny-ce').float32('bert.encoder.layer.1.output.LayerNorm.bias'));
});

function fixtureWeights(name: 'qwen3-tiny-tied' | 'bert-tiny-ce'): ModelWeights {
  return loadHfModel(fixtureModelDir(name)).weights;
}
