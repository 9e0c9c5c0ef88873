import { BLOB_CHUNK_BYTES, type BlobId } from '../../protocol/index.js'

/**
 * [B9][B10] Where the server keeps file blobs: per blob, a padded number of opaque sealed chunks
 * of BLOB_CHUNK_BYTES each (protocol [B1]), the conversation it belongs to and the space whose
 * quota it counts against. Every implementation runs tests/sync-server/blobStore.contract.ts.
 *
 * Key invariants (cited where enforced):
 *  1. A blob's conversation, space and chunk count are fixed by its create. A create of an id that
 *     exists (under another conversation, with another count, or being deleted) changes nothing.
 *  2. The stored chunks are always the prefix 0 … stored − 1. An append writes only from `stored`
 *     on (or from the end of what appends still being committed wrote), in order; a chunk before
 *     that is never written again (a retry's overlap is read and dropped); an append that starts
 *     beyond it changes nothing. A complete blob never changes.
 *  3. An append resolves only once the chunks it counts are durable. Input that ends early or
 *     fails keeps every whole chunk delivered before; a failed write keeps those before it.
 *  4. A create that would take its space beyond the quota, the store beyond its total, or the
 *     free disk below its reserve (counting what created blobs still lack) is refused and changes
 *     nothing. Usage counts chunks × BLOB_CHUNK_BYTES of every blob, complete or not.
 *  5. A delete frees its usage at once and is crash-safe: a blob being deleted is neither served
 *     nor counted, and whatever a crash left half-way is finished when the store opens.
 *  6. Appends and deletes of one blob take turns. A store may end an append's turn once its chunks
 *     are written and make them durable after it (the disk store does): appends then count in
 *     their order, and when one fails to become durable every later one fails and counts nothing.
 *  7. Nothing else is kept: id, conversation, space, padded and stored chunk counts, the day of the
 *     last write (no finer time), and the chunk bytes.
 */

export interface BlobRecord {
  readonly conv: Uint8Array
  /** The quota account: the organisation's space, or the conversation itself. */
  readonly space: Uint8Array
  readonly chunks: number
  readonly stored: number
}

export interface NewBlob {
  readonly conv: Uint8Array
  readonly space: Uint8Array
  readonly chunks: number
}

/** [B4] What a create may use ([B11] defaults in sync-server/limits.ts). */
export interface BlobCapacity {
  readonly spaceQuotaBytes: number
  readonly maxTotalBytes: number
  /** Free disk to keep beyond every created blob's missing bytes; stores with no disk of their own ignore it. */
  readonly diskReserveBytes: number
}

export interface BlobUsage {
  /** chunks × BLOB_CHUNK_BYTES over the blobs counted. */
  readonly bytes: number
  /** The part of `bytes` not stored yet: what created blobs will still write. */
  readonly pending: number
}

export type CreateOutcome =
  | { readonly kind: 'created' | 'exists'; readonly blob: BlobRecord }
  | { readonly kind: 'conflict' | 'quota' | 'full' }

export type AppendOutcome =
  | { readonly kind: 'appended'; readonly stored: number }
  | { readonly kind: 'missing' }
  | { readonly kind: 'out-of-order' | 'full'; readonly stored: number }

export interface BlobStore {
  /** Creates the blob, or finds the same one (invariants 1, 4). `now` in ms; only its day is kept. */
  create(id: BlobId, blob: NewBlob, capacity: BlobCapacity, now: number): Promise<CreateOutcome>
  get(id: BlobId): Promise<BlobRecord | undefined>
  /**
   * Appends `chunks` (each exactly BLOB_CHUNK_BYTES) as chunks start, start + 1, … (invariants
   * 2, 3, 6). Reads one chunk at a time from the input; stops at the blob's last chunk. A chunk's
   * bytes are valid only while the store asks for the next 2 × SLAB_CHUNKS (32) chunks (body.ts
   * reuses its memory after that): a store that keeps a chunk longer keeps a copy.
   */
  append(id: BlobId, start: number, chunks: AsyncIterable<Uint8Array>, now: number): Promise<AppendOutcome>
  /**
   * Bytes [start, end) of a complete blob as pieces read as they are asked for; undefined when it
   * is not complete or gone. A piece's bytes are valid until the next piece is asked for (the
   * disk store reuses two buffers): a reader that keeps one longer copies it.
   */
  read(id: BlobId, start: number, end: number): Promise<AsyncIterable<Uint8Array> | undefined>
  /** True when a blob went (invariant 5). */
  delete(id: BlobId): Promise<boolean>
  /** Usage of one space, or of the whole store. */
  usage(space?: Uint8Array): Promise<BlobUsage>
  /** [B9] Deletes incomplete blobs whose last write is `incompleteDays` days before `now` or older; returns how many. */
  sweep(now: number, incompleteDays: number): Promise<number>
  close(): Promise<void>
}

/** Bytes a blob of `chunks` chunks counts for (invariant 4). */
export const blobBytes = (chunks: number): number => chunks * BLOB_CHUNK_BYTES

/**
 * Invariant 4, shared by every implementation. `free`: bytes the store's disk has available
 * (undefined: not known to this store, e.g. PostgreSQL's).
 */
export function capacityRefusal(chunks: number, space: BlobUsage, total: BlobUsage, free: number | undefined, capacity: BlobCapacity): 'quota' | 'full' | undefined {
  const need = blobBytes(chunks)
  if (space.bytes + need > capacity.spaceQuotaBytes) return 'quota'
  if (total.bytes + need > capacity.maxTotalBytes) return 'full'
  if (free !== undefined && free - total.pending - need < capacity.diskReserveBytes) return 'full'
  return undefined
}

/** Days since the epoch: the only time a blob keeps (invariant 7). */
export const blobDay = (ms: number): number => Math.floor(ms / 86_400_000)

/** A chunk handed to append must be exactly one sealed chunk: anything else is the caller's bug. */
export function checkChunk(chunk: Uint8Array): Uint8Array {
  if (!(chunk instanceof Uint8Array) || chunk.length !== BLOB_CHUNK_BYTES) throw new TypeError(`a blob chunk is ${BLOB_CHUNK_BYTES} bytes`)
  return chunk
}

/**
 * The next chunk of an append's input, or undefined when it ended or failed (invariant 3: the
 * chunks delivered before count; why it ended is the caller's business).
 */
export async function nextChunk(input: AsyncIterator<Uint8Array>): Promise<Uint8Array | undefined> {
  let r: IteratorResult<Uint8Array>
  try {
    r = await input.next()
  } catch {
    return undefined
  }
  return r.done ? undefined : checkChunk(r.value)
}
