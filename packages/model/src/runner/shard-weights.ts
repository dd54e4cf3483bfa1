import type { ModelWeights } from '../hf/weights';
import type { ShardWeightSource } from '../graph/qwen3-shard';

/** What a rank read of the checkpoint, in float32 bytes. */
export interface ShardWeightReport {
  /** Of the tensors split over the ranks (projections, embedding): this rank's slices… */
  slicedBytes: number;
  /** …and those tensors whole. slicedBytes / slicedFullBytes ≈ 1 / size. */
  slicedFullBytes: number;
  /** Tensors read whole (norms) or a few rows of (the head): the same on every rank. */
  wholeBytes: number;
  /** Bytes of the rank's graph files, which its sessions load. */
  graphBytes: number;
}

/**
 * The weights of one rank: sharded tensors only through slices, counted, so a test can check
 * that a rank reads its share and nothing more.
 */
export class CountingShardWeights implements ShardWeightSource {
  private readonly sliced = new Map<string, number>();
  private slicedBytes = 0;
  private wholeBytes = 0;

  constructor(private readonly weights: ModelWeights) {}

  float32(name: string, expectedShape?: number[]): Float32Array {
    const data = this.weights.float32(name, expectedShape);
    this.wholeBytes += data.byteLength;
    return data;
  }

  rowsFloat32(name: string, rows: number[]): Float32Array {
    const data = this.weights.rowsFloat32(name, rows);
    this.wholeBytes += data.byteLength;
    return data;
  }

  sliceFloat32(name: string, axis: 0 | 1, start: number, end: number): Float32Array {
    const data = this.weights.sliceFloat32(name, axis, start, end);
    this.slicedBytes += data.byteLength;
    this.sliced.set(name, this.weights.info(name).shape.reduce((a, b) => a * b, 1) * Float32Array.BYTES_PER_ELEMENT);
    return data;
  }

  report(graphBytes: number): ShardWeightReport {
    const slicedFullBytes = [...this.sliced.values()].reduce((a, b) => a + b, 0);
    return { slicedBytes: this.slicedBytes, slicedFullBytes, wholeBytes: this.wholeBytes, graphBytes };
  }
}
