import { endianness } from 'node:os';
import type { ComputeDtype, ShardSpec, ShardStep, ShardWeightReport } from '@rerankd/model';
import type { ShardSpecMessage, StepMessage, WeightsMessage } from './proto';

// Tensors cross the wire as the bytes of a Float32Array: little-endian on every host that runs ORT.
if (endianness() !== 'LE') throw new Error('tensor-parallel ranks send float32 tensors as little-endian bytes; this host is big-endian');

/** The bytes of a float32 tensor, without copying. */
export function tensorBytes(data: Float32Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** A received tensor as float32: a view when aligned, else a copy. */
export function tensorFromBytes(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0) throw new Error(`a float32 tensor of ${bytes.byteLength} bytes`);
  if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

export function specToMessage(spec: ShardSpec): ShardSpecMessage {
  return { ...spec, headTokenIds: spec.headTokenIds ?? [] };
}

export function specFromMessage(message: ShardSpecMessage): ShardSpec {
  const [yes, no] = message.headTokenIds;
  return {
    size: message.size,
    model: message.model,
    fingerprint: message.fingerprint,
    dtype: message.dtype as ComputeDtype,
    maxPositions: message.maxPositions,
    numKvBlocks: message.numKvBlocks,
    kvBlockSize: message.kvBlockSize,
    quantization: message.quantization === 'int8' ? 'int8' : 'none',
    headTokenIds: yes !== undefined && no !== undefined ? [yes, no] : null,
  };
}

/** The part of a step the ranks need: token ids, block tables, what to compute. */
export function stepToMessage(step: ShardStep): StepMessage {
  const sequence = (s: { tokenIds: readonly number[]; startPosition: number }) => ({ tokenIds: [...s.tokenIds], startPosition: s.startPosition });
  return {
    stepId: step.stepId,
    blockSize: step.blockSize,
    prefixGroups: step.prefixGroups.map((g) => ({
      blockIds: [...g.blockIds],
      prefixLength: g.prefixLength,
      numCachedTokens: g.numCachedTokens,
      newPrefixTokenIds: [...g.newPrefixTokenIds],
      pairs: g.pairs.map(sequence),
    })),
    unsharedBatches: step.unsharedBatches.map((batch) => ({ sequences: batch.map(sequence) })),
  };
}

export function stepFromMessage(message: StepMessage): ShardStep {
  return {
    stepId: message.stepId,
    blockSize: message.blockSize,
    prefixGroups: message.prefixGroups.map((g) => ({ ...g, pairs: g.pairs })),
    unsharedBatches: message.unsharedBatches.map((b) => b.sequences),
  };
}

export function weightsToMessage(report: ShardWeightReport): WeightsMessage {
  return { ...report };
}
