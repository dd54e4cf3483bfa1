import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { PROTO_DESCRIPTOR } from '../src/generated/proto-descriptor';

// The services are loaded at run time from a descriptor generated from proto/ (so a bundled CLI
// needs no .proto file beside it). This test fails when the two differ; to regenerate:
//   RERANKD_UPDATE_PROTO=1 node scripts/run-tests.mjs packages/tensor-parallel/test/tp-proto.test.ts
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const PROTO_FILES = ['proto/rerankd/tp/v1/tensor_parallel.proto', 'proto/grpc/health/v1/health.proto'];
const GENERATED = join(root, 'packages', 'tensor-parallel', 'src', 'generated', 'proto-descriptor.ts');

function descriptorOfProtoFiles(): unknown {
  const parsed = new protobuf.Root();
  // camelCase field names, as the loader options of src/proto.ts expect.
  for (const file of PROTO_FILES) protobuf.parse(readFileSync(join(root, file), 'utf8'), parsed, { keepCase: false });
  return JSON.parse(JSON.stringify(parsed.toJSON())) as unknown;
}

test('the generated descriptor is the one of the .proto files', () => {
  const current = descriptorOfProtoFiles();
  if (process.env.RERANKD_UPDATE_PROTO) {
    const text = [
      `// Generated from ${PROTO_FILES.join(' and ')} by packages/tensor-parallel/test/tp-proto.test.ts`,
      '// (RERANKD_UPDATE_PROTO=1). Do not edit: change the .proto files and regenerate.',
      `export const PROTO_DESCRIPTOR: Record<string, unknown> = ${JSON.stringify(current, null, 2)};`,
      '',
    ].join('\n');
    writeFileSync(GENERATED, text);
  }
  assert.deepEqual(PROTO_DESCRIPTOR, current, 'proto/ changed: regenerate the descriptor (see the top of this test)');
});
