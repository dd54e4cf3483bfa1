import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { copyFixtureModel, loadReference } from '@rerankd/testing';
import { loadReranker, ModelWeights } from '@rerankd/model';
import { writeSafetensors } from '../src/hf/safetensors-writer';

const YES = 9693;
const NO = 2152;

/**
 * A Qwen3ForSequenceClassification checkpoint made from the CausalLM reranker the way vLLM's
 * conversion does it: the one-label `score` row is the 'yes' row minus the 'no' row of the
 * (tied) head, so sigmoid(score) equals sigmoid(logit_yes - logit_no).
 */
async function deriveSequenceClassifier(): Promise<string> {
  const dir = copyFixtureModel('qwen3-tiny-tied');
  const weights = ModelWeights.open(dir);
  const tensors = weights.names().map((name) => ({ name, dtype: 'F32' as const, shape: weights.info(name).shape, values: weights.float32(name) }));
  const [yes, no] = [weights.rowsFloat32('model.embed_tokens.weight', [YES]), weights.rowsFloat32('model.embed_tokens.weight', [NO])];
  tensors.push({ name: 'score.weight', dtype: 'F32', shape: [1, yes.length], values: yes.map((v, i) => v - (no[i] as number)) });
  rmSync(join(dir, 'model.safetensors'));
  await writeSafetensors(join(dir, 'model.safetensors'), tensors);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ ...config, architectures: ['Qwen3ForSequenceClassification'], num_labels: 1, id2label: { 0: 'LABEL_0' }, label2id: { LABEL_0: 0 }, dtype: 'float32' }),
  );
  return dir;
}

test('a Qwen3ForSequenceClassification derived from the reranker scores as the reference', async () => {
  const reference = loadReference('qwen3-tiny-tied');
  const reranker = await loadReranker({ model: await deriveSequenceClassifier() });
  try {
    const outputs = await reranker.score(
      reference.pairs.map((p) => ({ query: p.query, document: p.document, ...(p.instruction !== null ? { instruction: p.instruction } : {}) })),
      { emitIds: true },
    );
    reference.pairs.forEach((ref, i) => {
      const out = outputs[i];
      assert.ok(out);
      assert.deepEqual(out.inputIds, ref.input_ids);
      assert.ok(Math.abs((out.logit as number) - ((ref.logit_yes as number) - (ref.logit_no as number))) < 1e-3, `pair ${i}: logit`);
      assert.ok(Math.abs(out.score - ref.score) < 1e-4, `pair ${i}: score ${out.score} vs ${ref.score}`);
    });
  } finally {
    await reranker.close();
  }
});
