import type { Qwen3Config } from '../hf/config';
import { pastKeyName, pastValueName, presentKeyName, presentValueName } from '../graph/kv-names';
import { SEGMENT_IO } from '../graph/qwen3-shard';
import { NO_PAST, prefixBlocks, type CachedTokens, type KvBlockStore } from '../kv/kv-block-store';
import { ort } from '../runtime/session';
import type { Collective } from './collective';
import { buildFeeds, type SequenceInput } from './feeds';
import type { ShardPrefixGroup, ShardSequence, ShardStep } from './shard-step';

/** The sessions of one rank: one per segment between two all-reduces. */
export interface ShardSessions {
  embedding: ort.InferenceSession;
  attention: ort.InferenceSession[];
  mlp: ort.InferenceSession[];
  /** Rank 0 only. */
  head: ort.InferenceSession | null;
}

export interface ShardExecutorOptions {
  config: Qwen3Config;
  sessions: ShardSessions;
  /** This rank's KV heads behind the engine's block ids (the same ids on every rank). */
  store: KvBlockStore;
  /** Rotary tables [maxPositions, headDim/2]. */
  rope: { cos: Float32Array; sin: Float32Array; maxPositions: number };
}

/** Where a shard's time went, over every step so far (for benchmarks). */
export interface CollectiveStats {
  /** All-reduces, the bytes of this rank's partials, and the seconds spent waiting on them. */
  calls: number;
  bytes: number;
  seconds: number;
  /** Seconds inside ORT's runs of the segments. */
  computeSeconds: number;
}

type Feeds = Record<string, ort.Tensor>;

/**
 * Runs engine steps on one rank of a tensor-parallel group. A forward pass goes segment by
 * segment: the vocabulary-parallel embedding, then per layer the attention on this rank's heads
 * and the MLP on its columns; after each segment the partial results are all-reduced and added
 * to the residual stream, which every rank holds whole. Rank 0 also runs the head. The plan is
 * the one PlanExecutor runs: per prefix group, the new prefix tokens into its blocks (the KV of
 * this rank's heads), then its pairs attending to them.
 */
export class ShardExecutor {
  readonly collectiveStats: CollectiveStats = { calls: 0, bytes: 0, seconds: 0, computeSeconds: 0 };
  private readonly config: Qwen3Config;
  private readonly sessions: ShardSessions;
  private readonly store: KvBlockStore;
  private readonly rope: ShardExecutorOptions['rope'];

  constructor(options: ShardExecutorOptions) {
    this.config = options.config;
    this.sessions = options.sessions;
    this.store = options.store;
    this.rope = options.rope;
  }

  /** Runs the step; rank 0 returns the logits of its sequences in `stepSequences` order, other ranks null. */
  async execute(step: ShardStep, collective: Collective): Promise<number[][] | null> {
    const logits: number[][] = [];
    for (const group of step.prefixGroups) {
      if (group.newPrefixTokenIds.length > 0) await this.computePrefix(group, step.blockSize, collective);
      await this.scoreBatch(group.pairs, prefixBlocks(group, step.blockSize).whole, collective, logits);
    }
    for (const batch of step.unsharedBatches) await this.scoreBatch(batch, NO_PAST, collective, logits);
    return this.sessions.head ? logits : null;
  }

  async release(): Promise<void> {
    const { embedding, attention, mlp, head } = this.sessions;
    await Promise.all([embedding, ...attention, ...mlp, ...(head ? [head] : [])].map((s) => s.release()));
  }

  private async computePrefix(group: ShardPrefixGroup, blockSize: number, collective: Collective): Promise<void> {
    const { cached, newBlockIds } = prefixBlocks(group, blockSize);
    const input: SequenceInput = { inputIds: group.newPrefixTokenIds, startPosition: group.numCachedTokens };
    await this.forward([input], cached, collective, (layer, present) => {
      this.store.write(layer, newBlockIds, present, group.prefixLength, group.numCachedTokens, group.prefixLength);
    });
  }

  private async scoreBatch(pairs: readonly ShardSequence[], past: CachedTokens, collective: Collective, into: number[][]): Promise<void> {
    if (pairs.length === 0) return;
    const hidden = await this.forward(pairs.map((p) => ({ inputIds: p.tokenIds, startPosition: p.startPosition })), past, collective, null);
    const { head } = this.sessions;
    if (!head || !hidden) return;
    const outputs = await this.timed(head, { [SEGMENT_IO.hidden]: new ort.Tensor('float32', hidden, [pairs.length, this.config.hiddenSize]) }, [SEGMENT_IO.logits]);
    const data = outputs[SEGMENT_IO.logits]?.data as Float32Array;
    const perRow = data.length / pairs.length;
    for (let row = 0; row < pairs.length; row++) into.push(Array.from(data.subarray(row * perRow, (row + 1) * perRow)));
  }

  /**
   * One pass over the layers. With `onPresent` (a prefix run) it stores each layer's KV and stops
   * after the last layer's attention; otherwise it returns the residual stream at the last
   * position of each sequence, [B, H], after the last layer.
   */
  private async forward(
    batch: SequenceInput[],
    past: CachedTokens,
    collective: Collective,
    onPresent: ((layer: number, present: { key: Float32Array; value: Float32Array }) => void) | null,
  ): Promise<Float32Array | null> {
    const { numLayers, hiddenSize: H } = this.config;
    const feeds = buildFeeds(batch, { kind: 'decoder' });
    const [B, S] = feeds.input_ids!.dims as [number, number];
    const embedded = await this.run(this.sessions.embedding, { [SEGMENT_IO.inputIds]: feeds.input_ids! });
    let x = await this.allReduce(collective, embedded);
    const rope = this.ropeFeeds(feeds.position_ids!.data as BigInt64Array, B, S);
    const lastIndex = feeds.last_index!;
    for (let l = 0; l < numLayers; l++) {
      const isLast = l === numLayers - 1;
      const attentionFeeds: Feeds = { [SEGMENT_IO.hidden]: new ort.Tensor('float32', x, [B, S, H]), ...rope, ...this.pastFeeds(l, past) };
      if (isLast) attentionFeeds[SEGMENT_IO.lastIndex] = lastIndex;
      const fetches = onPresent ? [presentKeyName(l), presentValueName(l), ...(isLast ? [] : [SEGMENT_IO.partial])] : [SEGMENT_IO.partial];
      const outputs = await this.timed(this.sessions.attention[l]!, attentionFeeds, fetches);
      if (onPresent) {
        onPresent(l, { key: outputs[presentKeyName(l)]?.data as Float32Array, value: outputs[presentValueName(l)]?.data as Float32Array });
        if (isLast) return null;
      }
      // The last layer goes on with the last position of each row only.
      if (isLast) x = gatherRows(x, lastIndex.data as BigInt64Array, H);
      addInto(x, await this.allReduce(collective, outputs[SEGMENT_IO.partial]?.data as Float32Array));
      const mlpDims = isLast ? [B, H] : [B, S, H];
      const mlpOut = await this.run(this.sessions.mlp[l]!, { [SEGMENT_IO.hidden]: new ort.Tensor('float32', x, mlpDims) });
      addInto(x, await this.allReduce(collective, mlpOut));
    }
    return x;
  }

  private async run(session: ort.InferenceSession, feeds: Feeds): Promise<Float32Array> {
    const outputs = await this.timed(session, feeds, [SEGMENT_IO.partial]);
    return outputs[SEGMENT_IO.partial]?.data as Float32Array;
  }

  private async timed(session: ort.InferenceSession, feeds: Feeds, fetches: string[]): Promise<ort.InferenceSession.OnnxValueMapType> {
    const started = performance.now();
    const outputs = await session.run(feeds, fetches);
    this.collectiveStats.computeSeconds += (performance.now() - started) / 1000;
    return outputs;
  }

  private async allReduce(collective: Collective, partial: Float32Array): Promise<Float32Array> {
    const started = performance.now();
    const sum = await collective.allReduceSum(partial);
    this.collectiveStats.calls++;
    this.collectiveStats.bytes += partial.byteLength;
    this.collectiveStats.seconds += (performance.now() - started) / 1000;
    return sum;
  }

  /** cos / sin [B, S, D/2] of each position (padding positions past the table reuse its last row). */
  private ropeFeeds(positions: BigInt64Array, B: number, S: number): Feeds {
    const half = this.config.headDim / 2;
    const cos = new Float32Array(B * S * half);
    const sin = new Float32Array(B * S * half);
    for (let i = 0; i < positions.length; i++) {
      const p = Math.min(Number(positions[i]), this.rope.maxPositions - 1);
      cos.set(this.rope.cos.subarray(p * half, (p + 1) * half), i * half);
      sin.set(this.rope.sin.subarray(p * half, (p + 1) * half), i * half);
    }
    return { [SEGMENT_IO.ropeCos]: new ort.Tensor('float32', cos, [B, S, half]), [SEGMENT_IO.ropeSin]: new ort.Tensor('float32', sin, [B, S, half]) };
  }

  /** This rank's KV of the cached tokens, [1, kvHeads, length, D], for one layer. */
  private pastFeeds(layer: number, { blockIds, length }: CachedTokens): Feeds {
    const { numKvHeads, headDim } = this.store.shape;
    const { key, value } = this.store.gather(layer, blockIds, length);
    return {
      [pastKeyName(layer)]: new ort.Tensor('float32', key, [1, numKvHeads, length, headDim]),
      [pastValueName(layer)]: new ort.Tensor('float32', value, [1, numKvHeads, length, headDim]),
    };
  }
}

function addInto(x: Float32Array, delta: Float32Array): void {
  for (let i = 0; i < x.length; i++) x[i] = (x[i] as number) + (delta[i] as number);
}

/** Rows `indices` of a [rows, width] matrix. */
function gatherRows(x: Float32Array, indices: BigInt64Array, width: number): Float32Array {
  const out = new Float32Array(indices.length * width);
  indices.forEach((index, row) => out.set(x.subarray(Number(index) * width, (Number(index) + 1) * width), row * width));
  return out;
}
