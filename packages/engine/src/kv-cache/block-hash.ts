import { createHash } from 'node:crypto';

/**
 * Hex SHA-256 naming a full block by its tokens and every token before them.
 *
 * A cryptographic hash rather than a fast 64-bit one: a collision would hand one query another
 * query's KV and return wrong scores without any error, and with SHA-256 collisions are
 * negligible, so the cache needs no copy of each block's tokens to compare against. The cost is
 * small because only shared-prefix blocks are hashed, once per work item, never per pair.
 */
export type BlockHash = string;

/**
 * The hash every chain starts from. Everything that changes the KV of the same tokens (the model
 * id and revision) goes in here, so blocks of two models never match, without repeating the key
 * in every block.
 */
export function rootBlockHash(extraKeys: readonly string[]): BlockHash {
  return createHash('sha256').update(JSON.stringify(['rerankd-kv-cache', ...extraKeys])).digest('hex');
}

/** Hash of one full block chained to its parent's hash. */
export function hashBlockTokens(parentHash: BlockHash, tokenIds: readonly number[]): BlockHash {
  // Fixed width per token and a fixed block size keep the byte encoding unambiguous.
  const tokens = new Uint32Array(tokenIds);
  return createHash('sha256')
    .update(Buffer.from(parentHash, 'hex'))
    .update(new Uint8Array(tokens.buffer, tokens.byteOffset, tokens.byteLength))
    .digest('hex');
}

/** Chained hashes of the full blocks of `tokenIds`; a trailing partial block gets none. */
export function hashFullBlocks(rootHash: BlockHash, tokenIds: readonly number[], blockSize: number): BlockHash[] {
  const hashes: BlockHash[] = [];
  let parent = rootHash;
  for (let start = 0; start + blockSize <= tokenIds.length; start += blockSize) {
    parent = hashBlockTokens(parent, tokenIds.slice(start, start + blockSize));
    hashes.push(parent);
  }
  return hashes;
}
