import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Ajv, { type ValidateFunction } from 'ajv';
import { parseDocument, isMap, isPair, isScalar, type Node } from 'yaml';
import { CHART_DIR, isRecord, readText, readYaml } from './repo';

function compileSchema(): ValidateFunction {
  const schema = JSON.parse(readText(join(CHART_DIR, 'values.schema.json'))) as Record<string, unknown>;
  assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  const ajv = new Ajv({ strict: true, allowUnionTypes: true, allErrors: true });
  return ajv.compile(schema);
}

const validate = compileSchema();
const defaults = readYaml(join(CHART_DIR, 'values.yaml')) as Record<string, unknown>;
const exampleFiles = readdirSync(join(CHART_DIR, 'examples'))
  .filter((name) => name.endsWith('.yaml'))
  .sort();

/** Helm's view of the values: the chart's defaults with a user file merged over them. */
function merged(base: unknown, override: unknown): unknown {
  if (!isRecord(base) || !isRecord(override)) return override === undefined ? base : override;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) out[key] = merged(base[key], value);
  return out;
}

function errorsOf(values: unknown): string {
  return validate(values) ? '' : JSON.stringify(validate.errors, null, 2);
}

/** values.yaml with one change made by `edit` on a deep copy. */
function edited(edit: (values: Record<string, unknown>) => void): Record<string, unknown> {
  const copy = structuredClone(defaults);
  edit(copy);
  return copy;
}

function firstModel(values: Record<string, unknown>): Record<string, unknown> {
  const models = values.models;
  assert.ok(Array.isArray(models) && isRecord(models[0]));
  return models[0];
}

describe('helm values.schema.json', () => {
  test('accepts values.yaml', () => {
    assert.equal(errorsOf(defaults), '');
  });

  test('the four documented example files exist', () => {
    for (const name of ['cpu-small.yaml', 'gpu-qwen3-0.6b.yaml', 'gpu-qwen3-8b-tp2.yaml', 'external-redis.yaml']) {
      assert.ok(exampleFiles.includes(name), `examples/${name} is missing`);
    }
  });

  for (const name of exampleFiles) {
    test(`accepts examples/${name} merged over values.yaml`, () => {
      const example = readYaml(join(CHART_DIR, 'examples', name));
      assert.ok(isRecord(example), `examples/${name} is not a map`);
      assert.equal(errorsOf(merged(defaults, example)), '');
    });
  }

  test('rejects tensorParallelSize: 0', () => {
    const errors = errorsOf(edited((v) => void (firstModel(v).tensorParallelSize = 0)));
    assert.match(errors, /tensorParallelSize/);
    assert.match(errors, /must be >= 1/);
  });

  test('rejects a model with two sources, or none', () => {
    assert.notEqual(errorsOf(edited((v) => void (firstModel(v).source = { hub: 'org/name', hostPath: { path: '/data/m' } }))), '');
    assert.notEqual(errorsOf(edited((v) => void (firstModel(v).source = {}))), '');
  });

  test('rejects a model without a name, or with a name that is not a DNS label', () => {
    assert.match(errorsOf(edited((v) => void delete firstModel(v).name)), /name/);
    assert.match(errorsOf(edited((v) => void (firstModel(v).name = 'Qwen3_0.6B'))), /pattern/);
  });

  test('rejects a hub id that is not org/name[@revision]', () => {
    assert.match(errorsOf(edited((v) => void (firstModel(v).source = { hub: 'just-a-name' }))), /pattern/);
    assert.equal(errorsOf(edited((v) => void (firstModel(v).source = { hub: 'Qwen/Qwen3-Reranker-0.6B@main' }))), '');
  });

  test('rejects unknown keys (typos) and wrong types', () => {
    assert.match(errorsOf(edited((v) => void ((v.gateway as Record<string, unknown>).replicas = 2))), /additional/);
    assert.match(errorsOf(edited((v) => void ((v.gateway as Record<string, unknown>).port = '8123'))), /integer/);
    assert.match(errorsOf(edited((v) => void ((v.redis as Record<string, unknown>).enabled = 'yes'))), /boolean/);
  });

  test('rejects an external Redis URL that carries a password', () => {
    const values = edited((v) => void (v.externalRedis = { url: 'redis://user:secret@redis:6379/0', existingSecret: '', existingSecretPasswordKey: 'redis-password' }));
    assert.match(errorsOf(values), /externalRedis\/url/);
    const ok = edited((v) => void (v.externalRedis = { url: 'rediss://default@redis.example:6380/1', existingSecret: 's', existingSecretPasswordKey: 'k' }));
    assert.equal(errorsOf(ok), '');
  });

  test('every key of values.yaml is documented with a "# --" comment (itself or an ancestor)', () => {
    const doc = parseDocument(readText(join(CHART_DIR, 'values.yaml')));
    const undocumented: string[] = [];
    const visit = (node: Node | null | undefined, path: string[], documented: boolean): void => {
      if (!isMap(node)) return;
      node.items.forEach((pair, index) => {
        if (!isPair(pair) || !isScalar(pair.key)) return;
        const key = String(pair.key.value);
        // The comment above a map's first key belongs to the map in the parsed document.
        const comment = `${index === 0 ? (node.commentBefore ?? '') : ''}\n${pair.key.commentBefore ?? ''}`;
        const here = documented || /(^|\n)\s*--\s/.test(comment);
        if (!isMap(pair.value) || pair.value.items.length === 0) {
          if (!here) undocumented.push([...path, key].join('.'));
        } else {
          visit(pair.value as Node, [...path, key], here);
        }
      });
    };
    visit(doc.contents as Node, [], false);
    assert.deepEqual(undocumented, []);
  });
});
