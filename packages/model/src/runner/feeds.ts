import { ort } from '../runtime/session';

/** One tokenized sequence as the graph reads it. */
export interface SequenceInput {
  inputIds: readonly number[];
  tokenTypeIds?: readonly number[];
  /** Position of the first token: the length of the cached prefix it continues (decoders). */
  startPosition?: number;
}

/** How a family's graph wants its inputs laid out. */
export type FeedLayout =
  /** `minSequenceLength`: the graph's shortest input (see `CompiledGraph`); 1 when absent. */
  | { kind: 'decoder'; minSequenceLength?: number }
  | { kind: 'encoder'; padTokenId: number; firstPosition: number };

/** Right-padded feeds for one batch; see the graph builders for what each input means. */
export function buildFeeds(batch: SequenceInput[], layout: FeedLayout): Record<string, ort.Tensor> {
  const B = batch.length;
  const S = Math.max(layout.kind === 'decoder' ? (layout.minSequenceLength ?? 1) : 1, ...batch.map((s) => s.inputIds.length));
  const dims = [B, S];
  const pad = layout.kind === 'encoder' ? BigInt(layout.padTokenId) : 0n;
  const inputIds = new BigInt64Array(B * S).fill(pad);
  const positionIds = new BigInt64Array(B * S);
  if (layout.kind === 'decoder') {
    const lastIndex = new BigInt64Array(B);
    batch.forEach((seq, b) => {
      const row = b * S;
      seq.inputIds.forEach((id, i) => (inputIds[row + i] = BigInt(id)));
      const start = seq.startPosition ?? 0;
      // Padding repeats the last real position, so it never runs past the rotary tables.
      const last = seq.inputIds.length - 1;
      for (let i = 0; i < S; i++) positionIds[row + i] = BigInt(start + Math.min(i, last));
      lastIndex[b] = BigInt(row + seq.inputIds.length - 1);
    });
    return {
      input_ids: new ort.Tensor('int64', inputIds, dims),
      position_ids: new ort.Tensor('int64', positionIds, dims),
      last_index: new ort.Tensor('int64', lastIndex, [B]),
    };
  }
  const tokenTypeIds = new BigInt64Array(B * S);
  const attentionMask = new BigInt64Array(B * S);
  // Padding keeps the padding index as its position, as transformers' XLM-R does.
  positionIds.fill(layout.firstPosition > 0 ? pad : 0n);
  batch.forEach((seq, b) => {
    const row = b * S;
    seq.inputIds.forEach((id, i) => {
      inputIds[row + i] = BigInt(id);
      tokenTypeIds[row + i] = BigInt(seq.tokenTypeIds?.[i] ?? 0);
      positionIds[row + i] = BigInt(layout.firstPosition + i);
      attentionMask[row + i] = 1n;
    });
  });
  return {
    input_ids: new ort.Tensor('int64', inputIds, dims),
    token_type_ids: new ort.Tensor('int64', tokenTypeIds, dims),
    position_ids: new ort.Tensor('int64', positionIds, dims),
    attention_mask: new ort.Tensor('int64', attentionMask, dims),
  };
}
