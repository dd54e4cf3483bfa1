import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { DEPLOY_DIR, ROOT, field, isRecord, listFiles, readText, readYaml, readYamlDocuments, rel } from './repo';

const COMPOSE = join(DEPLOY_DIR, 'compose.yaml');
const compose = readYaml(COMPOSE);
const services = field(compose, 'services');
assert.ok(isRecord(services), 'compose.yaml has no services');

function service(name: string): Record<string, unknown> {
  const s = (services as Record<string, unknown>)[name];
  assert.ok(isRecord(s), `compose service ${name} is missing`);
  return s;
}

/** The Dockerfile a compose service builds, resolved as Compose does (context from the file, dockerfile from the context). */
function dockerfileOf(s: Record<string, unknown>): string | null {
  const build = s.build;
  if (build === undefined) return null;
  const context = resolve(dirname(COMPOSE), typeof build === 'string' ? build : String(field(build, 'context') ?? '.'));
  const dockerfile = typeof build === 'string' ? 'Dockerfile' : String(field(build, 'dockerfile') ?? 'Dockerfile');
  return resolve(context, dockerfile);
}

/** Instructions of a Dockerfile, continuation lines joined. */
function dockerInstructions(path: string): { op: string; args: string }[] {
  const joined = readText(path)
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => /^\s*([A-Z]+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ op: m[1]!, args: m[2]!.trim() }));
}

const dockerfiles = listFiles(join(DEPLOY_DIR, 'docker'), (name) => name.endsWith('.Dockerfile'));

describe('deploy/', () => {
  const yamlFiles = listFiles(DEPLOY_DIR, (name) => /\.ya?ml$/.test(name));
  test('has compose.yaml, the Prometheus config and the Grafana provisioning', () => {
    const names = yamlFiles.map(rel);
    for (const expected of ['deploy/compose.yaml', 'deploy/prometheus/prometheus.yml', 'deploy/grafana/provisioning/datasources/prometheus.yml', 'deploy/grafana/provisioning/dashboards/rerankd.yml']) {
      assert.ok(names.includes(expected), `${expected} is missing`);
    }
  });

  for (const file of yamlFiles) {
    test(`${rel(file)} parses as YAML`, () => {
      const docs = readYamlDocuments(file);
      assert.ok(docs.length > 0 && docs.every((d) => d !== null && d !== undefined), 'empty document');
    });
  }

  test('compose runs Redis, the gateway, two CPU workers, Prometheus and Grafana', () => {
    assert.match(String(service('redis').image), /^redis:7\./);
    assert.equal(field(service('worker'), 'deploy', 'replicas'), 2);
    assert.equal(field(service('gateway'), 'environment', 'RERANKD_REDIS_URL'), 'redis://redis:6379/0');
    assert.equal(field(service('worker'), 'environment', 'RERANKD_REDIS_URL'), 'redis://redis:6379/0');
    assert.match(String(field(service('worker'), 'environment', 'RERANKD_MODEL')), /\$\{RERANKD_MODEL:-[^}]+\}/);
    assert.ok((field(service('worker'), 'volumes') as string[]).includes('./models:/models:ro'));
    assert.match(String(service('prometheus').image), /^prom\/prometheus:v\d/);
    assert.match(String(service('grafana').image), /^grafana\/grafana:\d/);
  });

  test('every service that builds names a Dockerfile that exists, and every Dockerfile is used', () => {
    const used = new Set<string>();
    for (const [name, s] of Object.entries(services as Record<string, unknown>)) {
      assert.ok(isRecord(s));
      const dockerfile = dockerfileOf(s);
      if (dockerfile === null) {
        assert.ok(typeof s.image === 'string', `service ${name} has neither build nor image`);
        continue;
      }
      assert.ok(existsSync(dockerfile), `service ${name}: ${rel(dockerfile)} does not exist`);
      assert.equal(resolve(dirname(COMPOSE), String(field(s, 'build', 'context'))), ROOT, `service ${name} must build from the repository root`);
      used.add(dockerfile);
    }
    assert.ok(used.has(join(DEPLOY_DIR, 'docker', 'gateway.Dockerfile')));
    assert.ok(used.has(join(DEPLOY_DIR, 'docker', 'worker-cpu.Dockerfile')));
  });

  test('compose mounts only files that exist', () => {
    for (const [name, s] of Object.entries(services as Record<string, unknown>)) {
      for (const volume of (field(s, 'volumes') as string[] | undefined) ?? []) {
        const source = volume.split(':')[0]!;
        if (!source.startsWith('.')) continue; // a named volume
        if (source === './models') continue; // the user's model folder; Docker creates it
        assert.ok(existsSync(resolve(DEPLOY_DIR, source)), `service ${name}: ${source} does not exist`);
      }
    }
  });

  test('Prometheus scrapes the compose gateway and workers', () => {
    const config = readYaml(join(DEPLOY_DIR, 'prometheus', 'prometheus.yml'));
    const jobs = field(config, 'scrape_configs') as Record<string, unknown>[];
    const gateway = jobs.find((j) => j.job_name === 'rerankd-gateway');
    const worker = jobs.find((j) => j.job_name === 'rerankd-worker');
    assert.deepEqual(field(gateway, 'static_configs', 0, 'targets'), ['gateway:8123']);
    assert.deepEqual(field(worker, 'dns_sd_configs', 0, 'names'), ['worker']);
    assert.equal(field(worker, 'dns_sd_configs', 0, 'port'), Number(field(service('worker'), 'environment', 'RERANKD_METRICS_PORT')));
  });

  test('Grafana provisions the chart dashboard folder and a Prometheus data source', () => {
    const mounts = field(service('grafana'), 'volumes') as string[];
    const dashboards = mounts.find((m) => m.startsWith('../helm/rerankd/dashboards:'));
    assert.ok(dashboards, 'grafana does not mount ../helm/rerankd/dashboards');
    const mountPoint = dashboards.split(':')[1];
    const provider = readYaml(join(DEPLOY_DIR, 'grafana', 'provisioning', 'dashboards', 'rerankd.yml'));
    assert.equal(field(provider, 'providers', 0, 'options', 'path'), mountPoint);
    const datasource = readYaml(join(DEPLOY_DIR, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'));
    assert.equal(field(datasource, 'datasources', 0, 'type'), 'prometheus');
    assert.equal(field(datasource, 'datasources', 0, 'url'), 'http://prometheus:9090');
  });

  test('there are gateway, CPU worker and CUDA worker Dockerfiles, and a README on building them', () => {
    assert.deepEqual(dockerfiles.map(rel), ['deploy/docker/gateway.Dockerfile', 'deploy/docker/worker-cpu.Dockerfile', 'deploy/docker/worker-cuda.Dockerfile']);
    assert.match(readText(join(DEPLOY_DIR, 'docker', 'README.md')), /docker build -f deploy\/docker\/X\.Dockerfile \./);
  });

  for (const file of dockerfiles) {
    test(`${rel(file)}: pinned bases, files it copies exist, multi-stage, non-root`, () => {
      const steps = dockerInstructions(file);
      const args = new Map(steps.filter((s) => s.op === 'ARG').map((s) => s.args.split('=') as [string, string]));
      const froms = steps.filter((s) => s.op === 'FROM').map((s) => s.args.split(/\s+/)[0]!.replace(/^\$\{(\w+)\}$/, (_, n: string) => args.get(n) ?? ''));
      assert.ok(froms.length >= 2, 'not a multi-stage build');
      for (const image of froms) {
        if (!image.includes(':')) continue; // a stage name
        assert.doesNotMatch(image, /:latest$/);
        assert.match(image, /:\d+\.\d+\.\d+-/, `${image} is not pinned to a full version`);
      }
      for (const copy of steps.filter((s) => s.op === 'COPY' && !s.args.startsWith('--from'))) {
        const sources = copy.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1);
        for (const source of sources) assert.ok(existsSync(join(ROOT, source)), `COPY ${source}: not in the repository`);
      }
      const packageManager = String(field(readYaml(join(ROOT, 'package.json')), 'packageManager'));
      assert.ok(steps.some((s) => s.op === 'RUN' && s.args.includes(`npm install -g ${packageManager}`)), `installs ${packageManager}`);
      assert.ok(steps.some((s) => s.op === 'RUN' && /pnpm install --frozen-lockfile/.test(s.args)));
      assert.ok(steps.some((s) => s.op === 'RUN' && /pnpm --filter @rerankd\/cli deploy --prod/.test(s.args)));
      const user = steps.filter((s) => s.op === 'USER').at(-1);
      assert.ok(user && !/^(root|0)(:|$)/.test(user.args), 'the image runs as root');
      assert.deepEqual(steps.filter((s) => s.op === 'ENTRYPOINT').at(-1)?.args, '["rerankd"]');
    });
  }

  test('the CUDA image starts from a CUDA 12 cuDNN runtime and runs onnxruntime-node\'s CUDA 12 installer', () => {
    const text = readText(join(DEPLOY_DIR, 'docker', 'worker-cuda.Dockerfile'));
    assert.match(text, /CUDA_IMAGE=nvidia\/cuda:12\.\d+\.\d+-cudnn-runtime-/);
    assert.match(text, /ONNXRUNTIME_NODE_INSTALL=cuda12 node script\/install\.js/);
    assert.ok(existsSync(join(ROOT, 'deploy', 'docker', 'bundle.mjs')));
    assert.ok(statSync(join(ROOT, 'deploy', 'docker', 'prune.sh')).isFile());
  });
});
