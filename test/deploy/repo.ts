import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

/** The repository root. */
export const ROOT = resolve(import.meta.dirname, '..', '..');
export const CHART_DIR = join(ROOT, 'helm', 'rerankd');
export const DEPLOY_DIR = join(ROOT, 'deploy');

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}

/** One YAML document; `<<` merge keys are applied, as Docker Compose does. */
export function readYaml(path: string): unknown {
  return parse(readText(path), { merge: true });
}

/** Every document of a YAML file, failing on the first syntax error. */
export function readYamlDocuments(path: string): unknown[] {
  return parseAllDocuments(readText(path), { merge: true }).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${relative(ROOT, path)}: ${doc.errors[0]?.message}`);
    return doc.toJS();
  });
}

/** Files under `dir` (recursively) whose names pass `keep`. */
export function listFiles(dir: string, keep: (name: string) => boolean): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...listFiles(path, keep));
    else if (keep(name)) found.push(path);
  }
  return found;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A nested field, or undefined when a step is missing. */
export function field(value: unknown, ...path: (string | number)[]): unknown {
  let current = value;
  for (const step of path) {
    if (Array.isArray(current) && typeof step === 'number') current = current[step];
    else if (isRecord(current) && typeof step === 'string') current = current[step];
    else return undefined;
  }
  return current;
}

export function rel(path: string): string {
  return relative(ROOT, path);
}
