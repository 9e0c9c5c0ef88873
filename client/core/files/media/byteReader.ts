import type { FileSource } from '../source.js'

/** Bytes read from the source per window: the most this reader holds at a time. */
export const WINDOW_BYTES = 64 * 1024

/**
 * Random access to a {@link FileSource} through one small window, for the marker and chunk
 * walkers: reading byte by byte costs one source read per window, and memory holds one window
 * whatever the file's size.
 */
export class ByteReader {
  private start = 0
  private bytes: Uint8Array = new Uint8Array(0)

  constructor(private readonly source: FileSource) {}

  get size(): number {
    return this.source.size
  }

  /** The byte at `pos`, or undefined past the end. */
  async byteAt(pos: number): Promise<number | undefined> {
    if (pos < 0 || pos >= this.source.size) return undefined
    if (pos < this.start || pos >= this.start + this.bytes.length) {
      this.start = pos
      this.bytes = await this.source.read(pos, Math.min(WINDOW_BYTES, this.source.size - pos))
      if (!this.bytes.length) return undefined
    }
    return this.bytes[pos - this.start]
  }

  /** `length` bytes at `pos` (at most one window), or undefined when the file ends first. */
  async slice(pos: number, length: number): Promise<Uint8Array | undefined> {
    if (length > WINDOW_BYTES) throw new Error('a ByteReader slice is at most one window')
    if (pos < 0 || pos + length > this.source.size) return undefined
    if (pos < this.start || pos + length > this.start + this.bytes.length) {
      this.start = pos
      this.bytes = await this.source.read(pos, Math.min(WINDOW_BYTES, this.source.size - pos))
      if (this.bytes.length < length) return undefined
    }
    return this.bytes.subarray(pos - this.start, pos - this.start + length)
  }

  /** Big-endian unsigned 16 bits at `pos`. */
  async u16(pos: number): Promise<number | undefined> {
    const b = await this.slice(pos, 2)
    return b ? (b[0]! << 8) | b[1]! : undefined
  }

  /** Big-endian unsigned 32 bits at `pos`. */
  async u32(pos: number): Promise<number | undefined> {
    const b = await this.slice(pos, 4)
    return b ? ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0 : undefined
  }

  /**
   * The first position at or after `from` holding `byte`, scanning window by window; undefined
   * when there is none before the end.
   */
  async indexOf(byte: number, from: number): Promise<number | undefined> {
    let pos = from
    while (pos < this.source.size) {
      if (pos < this.start || pos >= this.start + this.bytes.length) await this.byteAt(pos)
      const i = this.bytes.indexOf(byte, pos - this.start)
      if (i >= 0) return this.start + i
      pos = this.start + this.bytes.length
    }
    return undefined
  }
}
