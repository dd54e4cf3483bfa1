import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadModelConfig, readSafetensorsHeader } from '@rerankd/model';
import { nonEmbeddingParameters } from '@rerankd/bench';
import { fixtureModelDir, type FixtureModel } from '@rerankd/testing';

/** Parameters of the tensors every token passes through: those of the transformer layers (and Qwen3's final norm). */
function layerParameters(dir: string): number {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.safetensors'))
    .flatMap((file) => readSafetensorsHeader(join(dir, file)))
    .filter((t) => /\.layers?\.\d+\./.test(t.name) || t.name === 'model.norm.weight')
    .reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1), 0);
}

describe('nonEmbeddingParameters', () => {
  for (const fixture of ['bert-tiny-ce', 'xlmr-tiny-ce', 'qwen3-tiny-tied', 'qwen3-tiny-untied'] satisfies FixtureModel[]) {
    it(`counts the layer weights of ${fixture} as its checkpoint holds them`, () => {
      const dir = fixtureModelDir(fixture);
      assert.equal(nonEmbeddingParameters(loadModelConfig(dir)), layerParameters(dir));
    });
  }
});
