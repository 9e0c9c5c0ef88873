import type { StoredEnvelope } from './store/ChangeStore.js'

/**
 * [S5] How many stored envelopes a backlog reads at a time: by bytes, not a fixed count. A page
 * of 500 envelopes of 1 MiB each was 500 MiB in memory and one frame far over `maxFrameBytes`;
 * now a read starts at 16 envelopes, doubles while pages are small (up to 500 one-line
 * messages a read) and shrinks to what fits about `targetBytes` when they are large.
 */
export class BacklogPage {
  private count = 16
  constructor(private readonly targetBytes: number) {}

  get size(): number {
    return this.count
  }

  /** Adjusts the next read's count to the page just read. */
  saw(page: readonly StoredEnvelope[]): void {
    const bytes = page.reduce((n, e) => n + e.bytes.length, 0)
    if (bytes > this.targetBytes) this.count = Math.max(1, Math.floor((this.count * this.targetBytes) / bytes))
    else if (bytes < this.targetBytes / 4 && page.length === this.count) this.count = Math.min(500, this.count * 2)
  }
}

/** Splits envelopes into frames of at most about `maxBytes` of envelope bytes; an envelope is never split. */
export function framesOf<T extends { env: Uint8Array }>(items: readonly T[], maxBytes: number): T[][] {
  const frames: T[][] = []
  let frame: T[] = []
  let bytes = 0
  for (const item of items) {
    const size = item.env.length + 16 // sseq and CBOR framing
    if (frame.length && bytes + size > maxBytes) {
      frames.push(frame)
      frame = []
      bytes = 0
    }
    frame.push(item)
    bytes += size
  }
  if (frame.length) frames.push(frame)
  return frames
}
