import { FILE_SEALED_CHUNK_BYTES } from '../../../crypto/index.js'
import type { SealedOutput } from './sealFile.js'

/**
 * [A2] The newest sealed chunks of a file sent from its path, kept in memory for its early
 * upload, so that while the link keeps pace each chunk is sealed once and copied into a PUT body
 * instead of sealed again from the file (crypto [F3]). A ring of `capacity` chunks: chunk i
 * lives in slot i mod capacity until chunk i + capacity is sealed. `pace` decides whether sealing
 * waits before it overwrites a chunk the upload has not taken yet (the early upload's
 * `readPast`): it waits while the link keeps pace, and never when the upload has stopped or is
 * slow (the chunk is then sealed again from the file when it goes).
 */
export class SealedWindow implements SealedOutput {
  private readonly ring: Uint8Array
  /** The chunk each slot holds (−1: none). */
  private readonly held: Int32Array

  constructor(
    private readonly capacity: number,
    private readonly pace: (firstNeeded: number) => Promise<void> = async () => undefined,
    /** The output the chunks also go to (the tags), before they are kept here. */
    private readonly also?: SealedOutput,
  ) {
    this.ring = new Uint8Array(capacity * FILE_SEALED_CHUNK_BYTES)
    this.held = new Int32Array(capacity).fill(-1)
  }

  async write(index: number, sealed: Uint8Array): Promise<void> {
    await this.also?.write(index, sealed)
    const count = sealed.length / FILE_SEALED_CHUNK_BYTES
    // Chunks index + count − capacity and before are overwritten now: the upload should have taken them.
    await this.pace(index + count - this.capacity)
    for (let i = 0; i < count; i++) {
      const slot = (index + i) % this.capacity
      this.ring.set(sealed.subarray(i * FILE_SEALED_CHUNK_BYTES, (i + 1) * FILE_SEALED_CHUNK_BYTES), slot * FILE_SEALED_CHUNK_BYTES)
      this.held[slot] = index + i
    }
  }

  async flush(): Promise<void> {
    await this.also?.flush()
  }

  /** Chunks `start` … `start` + `count` − 1 copied into `into`, if every one is still here; else undefined. */
  take(start: number, count: number, into: Uint8Array): Uint8Array | undefined {
    if (count > this.capacity || into.length < count * FILE_SEALED_CHUNK_BYTES) return undefined
    for (let i = 0; i < count; i++) if (this.held[(start + i) % this.capacity] !== start + i) return undefined
    for (let i = 0; i < count; i++) {
      const slot = (start + i) % this.capacity
      into.set(this.ring.subarray(slot * FILE_SEALED_CHUNK_BYTES, (slot + 1) * FILE_SEALED_CHUNK_BYTES), i * FILE_SEALED_CHUNK_BYTES)
    }
    return into.subarray(0, count * FILE_SEALED_CHUNK_BYTES)
  }
}
