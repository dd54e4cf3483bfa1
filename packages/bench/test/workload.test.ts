import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { InvalidRequestError } from '@rerankd/protocol';
import { planWorkload, resolveWorkload, TextGenerator, WORKLOAD_DEFAULTS } from '@rerankd/bench';

describe('workloads', () => {
  it('plan the same requests for the same options and seed', () => {
    const options = resolveWorkload('w3', { docs: 8, docTokens: 64, clients: 2, requests: 3 });
    const a = planWorkload(options, new TextGenerator({ seed: 5 }));
    const b = planWorkload(options, new TextGenerator({ seed: 5 }));
    assert.deepEqual(a.clients, b.clients);
    assert.deepEqual(a.warmup, b.warmup);
    assert.deepEqual(a.interactive!(3), b.interactive!(3));
    assert.notDeepEqual(planWorkload(options, new TextGenerator({ seed: 6 })).clients, a.clients);
  });

  it('w1: one client, one query, N documents per request', () => {
    const plan = planWorkload(resolveWorkload('w1', { docs: 3, docTokens: 20, clients: 9, requests: 2 }), new TextGenerator());
    assert.equal(plan.clients.length, 1);
    assert.equal(plan.clients[0]!.length, 2);
    assert.equal(plan.clients[0]![0]!.documents.length, 3);
    assert.equal(plan.clients[0]![0]!.query, plan.clients[0]![1]!.query);
    assert.notDeepEqual(plan.clients[0]![0]!.documents, plan.clients[0]![1]!.documents);
    assert.equal(plan.interactive, undefined);
  });

  it('w2: C clients, each with a query of its own', () => {
    const plan = planWorkload(resolveWorkload('w2', { docs: 2, docTokens: 20, clients: 4, requests: 1 }), new TextGenerator());
    assert.equal(plan.clients.length, 4);
    assert.equal(new Set(plan.clients.map((c) => c[0]!.query)).size, 4);
  });

  it('w3: big requests within the size bounds, and 5-document interactive requests', () => {
    const options = resolveWorkload('w3', { docs: 16, docTokens: 256, clients: 2, requests: 20 });
    const text = new TextGenerator({ tokensPerWord: 1 });
    const plan = planWorkload(options, text);
    const counts = plan.clients.flat().map((r) => r.documents.length);
    const words = plan.clients.flat().flatMap((r) => r.documents.map((d) => d.split(' ').length));
    assert.ok(counts.every((n) => n >= 1 && n <= 16));
    assert.ok(new Set(counts).size > 3, `sizes vary: ${counts.join(' ')}`);
    assert.ok(words.every((n) => n >= 32 && n <= 256));
    assert.equal(plan.interactive!(0).documents.length, 5);
    assert.equal(plan.interactive!(0).documents[0]!.split(' ').length, options.interactiveDocTokens);
    assert.equal(WORKLOAD_DEFAULTS.w3.docs, 256);
    assert.equal(WORKLOAD_DEFAULTS.w3.docTokens, 2048);
    assert.equal(WORKLOAD_DEFAULTS.w3.requests, 8);
  });

  it('reject sizes that are not positive integers', () => {
    assert.throws(() => resolveWorkload('w1', { docs: 0 }), InvalidRequestError);
    assert.throws(() => resolveWorkload('w2', { clients: 1.5 }), InvalidRequestError);
    assert.equal(resolveWorkload('w1', { docs: undefined }).docs, WORKLOAD_DEFAULTS.w1.docs);
  });
});
