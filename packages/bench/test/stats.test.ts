import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { percentile, round, summarizeLatencies } from '@rerankd/bench';

describe('percentile (nearest rank)', () => {
  it('gives the textbook values on a small sample', () => {
    const sample = [15, 20, 35, 40, 50];
    assert.equal(percentile(sample, 5), 15);
    assert.equal(percentile(sample, 30), 20);
    assert.equal(percentile(sample, 40), 20);
    assert.equal(percentile(sample, 50), 35);
    assert.equal(percentile(sample, 100), 50);
  });

  it('does not depend on the order of the sample and never changes it', () => {
    const sample = Array.from({ length: 100 }, (_, i) => ((i * 37) % 100) + 1); // 1..100, shuffled
    const copy = [...sample];
    assert.equal(percentile(sample, 50), 50);
    assert.equal(percentile(sample, 90), 90);
    assert.equal(percentile(sample, 99), 99);
    assert.equal(percentile(sample, 99.9), 100);
    assert.deepEqual(sample, copy);
  });

  it('is one of the recorded values, not an interpolation', () => {
    assert.equal(percentile([1, 1000], 50), 1);
    assert.equal(percentile([1, 1000], 51), 1000);
    assert.equal(percentile([7], 99), 7);
  });

  it('is NaN for no sample and rejects percentiles outside (0, 100]', () => {
    assert.ok(Number.isNaN(percentile([], 50)));
    assert.throws(() => percentile([1], 0), RangeError);
    assert.throws(() => percentile([1], 101), RangeError);
  });
});

describe('summarizeLatencies', () => {
  it('reports p50, p90 and p99, or nulls without a sample', () => {
    const latencies = Array.from({ length: 1000 }, (_, i) => (i + 1) / 10); // 0.1 .. 100 ms
    assert.deepEqual(summarizeLatencies(latencies), { p50: 50, p90: 90, p99: 99 });
    assert.deepEqual(summarizeLatencies([]), { p50: null, p90: null, p99: null });
  });

  it('rounds to the given decimals', () => {
    assert.equal(round(1.23456, 2), 1.23);
    assert.equal(round(2.5, 0), 3);
  });
});
