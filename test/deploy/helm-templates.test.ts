import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { checkBlocks, includedNames, lexActions, TemplateSyntaxError, valuesPaths } from './go-template';
import { CHART_DIR, ROOT, field, isRecord, listFiles, readText, readYaml, rel } from './repo';

// Helm templates are Go templates, not YAML: these checks need no helm binary.
const TEMPLATES_DIR = join(CHART_DIR, 'templates');
const templateFiles = listFiles(TEMPLATES_DIR, (name) => /\.(ya?ml|tpl|txt)$/.test(name));
const helpers = readText(join(TEMPLATES_DIR, '_helpers.tpl'));
const defines = checkBlocks(lexActions(helpers));
const values = readYaml(join(CHART_DIR, 'values.yaml'));

describe('helm templates', () => {
  test('the chart has its templates', () => {
    const names = templateFiles.map((f) => rel(f).replace('helm/rerankd/templates/', ''));
    for (const expected of [
      '_helpers.tpl',
      'NOTES.txt',
      'deployment-gateway.yaml',
      'service-gateway.yaml',
      'hpa-gateway.yaml',
      'pdb-gateway.yaml',
      'statefulset-worker.yaml',
      'service-worker.yaml',
      'pdb-worker.yaml',
      'scaledobject-worker.yaml',
      'statefulset-redis.yaml',
      'service-redis.yaml',
      'secrets.yaml',
      'servicemonitor-gateway.yaml',
      'servicemonitor-worker.yaml',
      'prometheusrule.yaml',
      'dashboards.yaml',
      'networkpolicy-gateway.yaml',
      'networkpolicy-worker.yaml',
      'networkpolicy-redis.yaml',
    ]) {
      assert.ok(names.includes(expected), `templates/${expected} is missing`);
    }
  });

  for (const file of templateFiles) {
    test(`${rel(file)}: {{ }} balance and blocks are closed`, () => {
      const actions = lexActions(readText(file));
      assert.ok(actions.length > 0 || file.endsWith('.txt'), 'no template actions at all');
      checkBlocks(actions);
    });

    test(`${rel(file)}: every include names a define of _helpers.tpl`, () => {
      const missing = includedNames(lexActions(readText(file)))
        .filter(({ name }) => !defines.includes(name))
        .map(({ name, line }) => `line ${line}: ${name}`);
      assert.deepEqual(missing, []);
    });

    test(`${rel(file)}: every .Values path exists in values.yaml`, () => {
      const unknown: string[] = [];
      for (const { path, line } of valuesPaths(lexActions(readText(file)))) {
        let node: unknown = values;
        for (const step of path) {
          // Past a leaf or an empty/free-form map the chart reads user-supplied keys.
          if (!isRecord(node) || Object.keys(node).length === 0) break;
          if (!(step in node)) {
            unknown.push(`line ${line}: .Values.${path.join('.')}`);
            break;
          }
          node = node[step];
        }
      }
      assert.deepEqual(unknown, []);
    });
  }

  test('helper names are defined once, with the chart prefix', () => {
    assert.equal(new Set(defines).size, defines.length, `duplicate defines: ${defines}`);
    for (const name of defines) assert.match(name, /^rerankd\./);
    for (const required of ['rerankd.name', 'rerankd.fullname', 'rerankd.chart', 'rerankd.labels', 'rerankd.selectorLabels']) {
      assert.ok(defines.includes(required), `${required} is not defined`);
    }
  });

  test('the lexer rejects unbalanced delimiters and unclosed blocks', () => {
    assert.throws(() => lexActions('a {{ .Values.x } b'), TemplateSyntaxError);
    assert.throws(() => lexActions('a }} b'), TemplateSyntaxError);
    assert.throws(() => lexActions('{{ if .x }}{{ .y }'), TemplateSyntaxError);
    assert.throws(() => checkBlocks(lexActions('{{ if .x }}a{{ range .y }}b{{ end }}')), TemplateSyntaxError);
    assert.throws(() => checkBlocks(lexActions('{{ end }}')), TemplateSyntaxError);
    // Braces inside strings, raw strings and comments are not delimiters.
    assert.equal(lexActions('{{ "}}" }} {{`{{ $labels.model }}`}} {{/* }} */}}').length, 3);
  });

  test('the dashboard ConfigMap reads dashboards/rerankd.json and carries the Grafana sidecar label', () => {
    const template = readText(join(TEMPLATES_DIR, 'dashboards.yaml'));
    assert.match(template, /\.Files\.Get "dashboards\/rerankd\.json"/);
    assert.equal(field(values, 'grafanaDashboards', 'labels', 'grafana_dashboard'), '1');
  });

  test('Chart.yaml is a v2 application chart with an appVersion', () => {
    const chart = readYaml(join(CHART_DIR, 'Chart.yaml'));
    assert.equal(field(chart, 'apiVersion'), 'v2');
    assert.equal(field(chart, 'name'), 'rerankd');
    assert.equal(field(chart, 'type'), 'application');
    assert.match(String(field(chart, 'version')), /^\d+\.\d+\.\d+/);
    assert.match(String(field(chart, 'appVersion')), /^\d+\.\d+\.\d+/);
  });

  test('KEDA scales on the work stream and consumer group the queue uses', () => {
    const keys = readText(join(ROOT, 'packages', 'queue', 'src', 'keys.ts'));
    assert.match(keys, /`\$\{PREFIX\}:\{\$\{model\}\}:work`/);
    assert.match(keys, /WORKER_GROUP = 'workers'/);
    assert.match(helpers, /printf "rerankd:\{%s\}:work"/);
    assert.match(keys, /`\$\{PREFIX\}:\{\$\{model\}\}:work:\$\{lane\}`/);
    assert.match(helpers, /printf "rerankd:\{%s\}:work:interactive"/);
    const scaledObject = readText(join(TEMPLATES_DIR, 'scaledobject-worker.yaml'));
    assert.match(scaledObject, /type: redis-streams/);
    assert.match(scaledObject, /consumerGroup: workers/);
    assert.match(scaledObject, /lagCount:/);
  });

  test('NOTES.txt gives the RAGFlow settings for the VLLM and OpenAI-API-Compatible providers', () => {
    const notes = readText(join(TEMPLATES_DIR, 'NOTES.txt'));
    assert.match(notes, /"VLLM".*\{\{ \$url \}\}\/v1/);
    assert.match(notes, /"OpenAI-API-Compatible".*\{\{ \$url \}\}$/m);
  });

  test('scripts/helm-check.sh says in one line that it skipped when there is no helm', () => {
    const result = spawnSync('bash', [join(ROOT, 'scripts', 'helm-check.sh')], {
      env: { ...process.env, HELM: 'rerankd-no-such-helm-binary' },
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim().split('\n').length, 1);
    assert.match(result.stdout, /skipped/);
  });
});
