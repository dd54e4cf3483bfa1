import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelLoadError } from '@rerankd/protocol';
import { copyFixtureModel, fixtureModelDir, makeTempDir } from '@rerankd/testing';
import { loadModelConfig } from '../src/hf';

/** A directory holding only the fixture's config.json, changed by `edit`. */
function editedConfig(name: 'qwen3-tiny-tied' | 'qwen3-tiny-untied' | 'bert-tiny-ce', edit: (raw: Record<string, unknown>) => void): string {
  const raw = JSON.parse(readFileSync(join(fixtureModelDir(name), 'config.json'), 'utf8')) as Record<string, unknown>;
  edit(raw);
  const dir = makeTempDir(`config-${name}`);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(raw));
  return dir;
}

function assertLoadError(dir: string, problem: RegExp): void {
  assert.throws(
    () => loadModelConfig(dir),
    (err: unknown) => {
      assert.ok(err instanceof ModelLoadError, `expected ModelLoadError, got ${String(err)}`);
      assert.equal(err.file, join(dir, 'config.json'));
      assert.match(err.message, problem);
      return true;
    },
  );
}

test('a transformers-5 config (rope_parameters, dtype) parses to the fixture numbers', () => {
  assert.deepEqual(loadModelConfig(fixtureModelDir('qwen3-tiny-tied')), {
    family: 'qwen3',
    architecture: 'Qwen3ForCausalLM',
    hiddenSize: 32,
    intermediateSize: 64,
    numLayers: 3,
    numHeads: 4,
    numKvHeads: 2,
    headDim: 16,
    rmsNormEps: 1e-6,
    ropeTheta: 1_000_000,
    vocabSize: 151669,
    maxPositionEmbeddings: 40960,
    tieWordEmbeddings: true,
    numLabels: 1,
    dtype: 'bfloat16',
  });
});

test('a transformers-4 config (rope_theta, torch_dtype) parses to the fixture numbers', () => {
  assert.deepEqual(loadModelConfig(fixtureModelDir('qwen3-tiny-untied')), {
    family: 'qwen3',
    architecture: 'Qwen3ForCausalLM',
    hiddenSize: 24,
    intermediateSize: 72,
    numLayers: 2,
    numHeads: 6,
    numKvHeads: 2,
    headDim: 8,
    rmsNormEps: 1e-6,
    ropeTheta: 1_000_000,
    vocabSize: 151669,
    maxPositionEmbeddings: 40960,
    tieWordEmbeddings: false,
    numLabels: 1,
    dtype: 'bfloat16',
  });
});

test('BERT and XLM-R cross-encoder configs parse, with their own pad ids', () => {
  assert.deepEqual(loadModelConfig(fixtureModelDir('bert-tiny-ce')), {
    family: 'bert',
    architecture: 'BertForSequenceClassification',
    hiddenSize: 32,
    intermediateSize: 64,
    numLayers: 2,
    numHeads: 4,
    layerNormEps: 1e-12,
    vocabSize: 680,
    maxPositionEmbeddings: 512,
    typeVocabSize: 2,
    padTokenId: 0,
    hiddenAct: 'gelu',
    numLabels: 1,
    dtype: 'float32',
  });
  const xlmr = loadModelConfig(fixtureModelDir('xlmr-tiny-ce'));
  assert.equal(xlmr.family, 'xlm-roberta');
  assert.equal(xlmr.architecture, 'XLMRobertaForSequenceClassification');
  assert.equal(xlmr.family === 'xlm-roberta' && xlmr.padTokenId, 1);
  assert.equal(xlmr.family === 'xlm-roberta' && xlmr.typeVocabSize, 1);
  assert.equal(xlmr.maxPositionEmbeddings, 514);
});

test('head_dim defaults to hidden/heads and a Qwen3 classifier takes its label count', () => {
  const dir = editedConfig('qwen3-tiny-untied', (raw) => {
    delete raw.head_dim;
    raw.architectures = ['Qwen3ForSequenceClassification'];
    raw.id2label = { 0: 'LABEL_0' };
  });
  const config = loadModelConfig(dir);
  assert.equal(config.family === 'qwen3' && config.headDim, 4);
  assert.equal(config.architecture, 'Qwen3ForSequenceClassification');
  assert.equal(config.numLabels, 1);
});

test('an unknown architecture names itself and the supported ones', () => {
  const dir = editedConfig('qwen3-tiny-tied', (raw) => (raw.architectures = ['LlamaForCausalLM']));
  assertLoadError(dir, /architecture LlamaForCausalLM is not supported; supported: Qwen3ForCausalLM, .*XLMRobertaForSequenceClassification/);
});

test('a missing or unreadable config.json is a load error', () => {
  const missing = copyFixtureModel('bert-tiny-ce');
  rmSync(join(missing, 'config.json'));
  assertLoadError(missing, /config\.json is missing/);

  const broken = copyFixtureModel('bert-tiny-ce');
  writeFileSync(join(broken, 'config.json'), '{"architectures": [');
  assertLoadError(broken, /not valid JSON/);
});

test('a missing required field is named', () => {
  assertLoadError(
    editedConfig('qwen3-tiny-tied', (raw) => delete raw.hidden_size),
    /missing required field "hidden_size"/,
  );
  assertLoadError(
    editedConfig('bert-tiny-ce', (raw) => (raw.num_attention_heads = 'four')),
    /field "num_attention_heads" is invalid/,
  );
});

test('a classification head must have exactly one label', () => {
  assertLoadError(
    editedConfig('bert-tiny-ce', (raw) => (raw.id2label = { 0: 'NO', 1: 'YES' })),
    /num_labels is 2; .*exactly 1 label/,
  );
  // transformers assumes 2 labels when a config names none.
  assertLoadError(
    editedConfig('bert-tiny-ce', (raw) => {
      delete raw.id2label;
      delete raw.label2id;
    }),
    /num_labels is 2/,
  );
});

test('rope scaling is refused in either config style', () => {
  assertLoadError(
    editedConfig('qwen3-tiny-untied', (raw) => (raw.rope_scaling = { type: 'yarn', factor: 4 })),
    /rope scaling "yarn" is not supported/,
  );
  assertLoadError(
    editedConfig('qwen3-tiny-tied', (raw) => (raw.rope_parameters = { rope_theta: 1e6, rope_type: 'linear', factor: 2 })),
    /rope scaling "linear" is not supported/,
  );
});
