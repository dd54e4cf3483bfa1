import type { BatchListener, ModelExecutor, PrefixGroup, ScheduledPair, SchedulerOutput } from '@rerankd/engine';
import { pastKeyName, pastValueName, presentKeyName, presentValueName } from '../graph/kv-names';
import { NO_PAST, prefixBlocks, type CachedTokens, type KvBlockStore } from '../kv/kv-block-store';
import { ort } from '../runtime/session';
import { buildFeeds, type FeedLayout, type SequenceInput } from './feeds';


export interface DecoderKvShape {
  numLayers: number;
  numKvHeads: number;
  headDim: number;
}

type PastTensors = Record<string, ort.Tensor>;

/**
 * Executes the scheduler's plans: for each prefix group, computes the KV of its new prefix
 * tokens into the group's blocks, then scores all of the group's pairs in one batch attending
 * to those blocks; pairs without a shared prefix run whole. Groups run in plan order, since a
 * group may read blocks an earlier group of the same step wrote.
 */
export class PlanExecutor implements ModelExecutor {
  constructor(
    private readonly session: ort.InferenceSession,
    private readonly layout: FeedLayout,
    /** Decoders only: the KV shape and the store behind the block ids. */
    private readonly kv: { shape: DecoderKvShape; store: KvBlockStore } | null,
  ) {}

  async execute(plan: SchedulerOutput, onBatch?: BatchListener): Promise<Map<string, number[]>> {
    const logits = new Map<string, number[]>();
    // The last batch's pairs leave with the step itself, after the engine has counted it.
    let batchesLeft = plan.prefixGroups.length + plan.unsharedBatches.length;
    const scored = (batch: Map<string, number[]>) => {
      for (const [pairId, value] of batch) logits.set(pairId, value);
      if (--batchesLeft > 0) onBatch?.(batch);
    };
    for (const group of plan.prefixGroups) {
      if (group.newPrefixTokenIds.length > 0) await this.computePrefix(group, plan.blockSize);
      scored(await this.scoreBatch(group.pairs, this.gatherPast(prefixBlocks(group, plan.blockSize).whole)));
    }
    for (const batch of plan.unsharedBatches) scored(await this.scoreBatch(batch, this.gatherPast(NO_PAST)));
    return logits;
  }

  /** Runs the new prefix tokens (batch 1) after the cached ones and stores their KV in the group's blocks. */
  private async computePrefix(group: PrefixGroup, blockSize: number): Promise<void> {
    const kv = this.requireKv();
    const { cached, newBlockIds } = prefixBlocks(group, blockSize);
    const input: SequenceInput = { inputIds: group.newPrefixTokenIds, startPosition: group.numCachedTokens };
    const fetches = Array.from({ length: kv.shape.numLayers }, (_, l) => [presentKeyName(l), presentValueName(l)]).flat();
    const outputs = await this.session.run({ ...buildFeeds([input], this.layout), ...this.gatherPast(cached) }, fetches);
    for (let l = 0; l < kv.shape.numLayers; l++) {
      const key = outputs[presentKeyName(l)] as ort.Tensor;
      const present = { key: key.data as Float32Array, value: outputs[presentValueName(l)]?.data as Float32Array };
      // The present's own length: feeds may pad a short run past the prefix.
      kv.store.write(l, newBlockIds, present, key.dims[2] as number, group.numCachedTokens, group.prefixLength);
    }
  }

  private async scoreBatch(pairs: readonly ScheduledPair[], past: PastTensors): Promise<Map<string, number[]>> {
    const into = new Map<string, number[]>();
    if (pairs.length === 0) return into;
    const inputs: SequenceInput[] = pairs.map((p) => ({ inputIds: p.tokenIds, startPosition: p.startPosition, ...(p.tokenTypeIds ? { tokenTypeIds: p.tokenTypeIds } : {}) }));
    const outputs = await this.session.run({ ...buildFeeds(inputs, this.layout), ...past }, ['logits']);
    const data = outputs.logits?.data as Float32Array;
    const perRow = data.length / pairs.length;
    pairs.forEach((pair, row) => into.set(pair.pairId, Array.from(data.subarray(row * perRow, (row + 1) * perRow))));
    return into;
  }

  /** Past inputs [1, kvHeads, length, dim] per layer; encoders have none. */
  private gatherPast({ blockIds, length }: CachedTokens): PastTensors {
    if (!this.kv) return {};
    const { shape, store } = this.kv;
    const feeds: PastTensors = {};
    for (let l = 0; l < shape.numLayers; l++) {
      const { key, value } = store.gather(l, blockIds, length);
      feeds[pastKeyName(l)] = new ort.Tensor('float32', key, [1, shape.numKvHeads, length, shape.headDim]);
      feeds[pastValueName(l)] = new ort.Tensor('float32', value, [1, shape.numKvHeads, length, shape.headDim]);
    }
    return feeds;
  }

  private requireKv(): { shape: DecoderKvShape; store: KvBlockStore } {
    if (!this.kv) throw new Error('a prefix group reached a model without a KV cache');
    return this.kv;
  }
}
