import { KVCacheBlock } from './block';

/**
 * Blocks nobody uses, in eviction order: the head is evicted (reallocated) first, freed blocks
 * join at the tail. A cached block therefore survives as long as possible after its last user
 * leaves, and a prefix hit takes it back out of the middle in O(1).
 */
export class FreeBlockQueue {
  // Sentinels keep every real block's links non-null while it is queued, so no edge cases.
  private readonly head = new KVCacheBlock(-1);
  private readonly tail = new KVCacheBlock(-1);
  private size = 0;

  constructor(blocks: readonly KVCacheBlock[]) {
    this.head.nextFree = this.tail;
    this.tail.prevFree = this.head;
    for (const block of blocks) this.append(block);
  }

  get length(): number {
    return this.size;
  }

  popLeft(): KVCacheBlock | null {
    const first = this.head.nextFree;
    if (first === null || first === this.tail) return null;
    this.remove(first);
    return first;
  }

  remove(block: KVCacheBlock): void {
    const { prevFree, nextFree } = block;
    if (prevFree === null || nextFree === null) throw new Error(`block ${block.blockId} is not in the free queue`);
    prevFree.nextFree = nextFree;
    nextFree.prevFree = prevFree;
    block.prevFree = null;
    block.nextFree = null;
    this.size -= 1;
  }

  append(block: KVCacheBlock): void {
    if (block.prevFree !== null) throw new Error(`block ${block.blockId} is already in the free queue`);
    const last = this.tail.prevFree as KVCacheBlock;
    last.nextFree = block;
    block.prevFree = last;
    block.nextFree = this.tail;
    this.tail.prevFree = block;
    this.size += 1;
  }

  /** Ids from the head (next to evict) to the tail. */
  blockIds(): number[] {
    const ids: number[] = [];
    for (let block = this.head.nextFree; block !== null && block !== this.tail; block = block.nextFree) ids.push(block.blockId);
    return ids;
  }
}
