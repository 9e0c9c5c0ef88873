/**
 * [S15] Where the server keeps recovery blobs: one opaque, padded blob per address, with the
 * SHA-256 of the write secret that first stored it. The address is derived by the client from a
 * recovery key (crypto [R7]); the store sees it as 32 random-looking bytes and never sees the
 * write secret itself (the HTTP layer hashes it). Every implementation runs
 * tests/sync-server/recoveryStore.contract.ts.
 *
 * Key invariants (cited where enforced):
 *  1. An address holds at most one blob. Its first put binds the write hash given then; a later
 *     put never changes that hash. A delete frees the address.
 *  2. A put or delete whose write hash differs from the bound one changes nothing.
 *  3. A put replaces the bytes atomically and durably before it resolves: a reader sees the old
 *     blob or the new one, never a mix.
 *  4. A put that would take the store beyond its capacity (blob count for a new address, total
 *     bytes for any growth) is refused and changes nothing.
 *  5. Nothing else is kept: no time, no client, no device, no order of arrival.
 *  6. A put that may only replace (a refresh by the device that keeps the blob) changes nothing
 *     at an address that holds no blob: a blob deleted by a restore (the key spent) is never
 *     written again by the device that made it.
 */

/** [S16] Blob sizes the server accepts: powers of two from 4 KiB to 4 MiB (client-padded, crypto [R7]). */
export const RECOVERY_BLOB_MIN = 4096
export const RECOVERY_BLOB_MAX = 4 * 1024 * 1024
export const ADDR_BYTES = 32

export const isRecoveryBlobSize = (n: number): boolean =>
  Number.isInteger(n) && n >= RECOVERY_BLOB_MIN && n <= RECOVERY_BLOB_MAX && (n & (n - 1)) === 0

declare const addrBrand: unique symbol
declare const writeHashBrand: unique symbol
/** A recovery blob's address: 32 bytes the client derived from its recovery key. */
export type RecoveryAddr = Uint8Array & { readonly [addrBrand]: true }
/** SHA-256 of a write secret: what the store compares, never the secret. */
export type WriteHash = Uint8Array & { readonly [writeHashBrand]: true }

export function asRecoveryAddr(bytes: Uint8Array): RecoveryAddr {
  if (bytes.length !== ADDR_BYTES) throw new TypeError('a recovery address is 32 bytes')
  return bytes as RecoveryAddr
}

export function asWriteHash(bytes: Uint8Array): WriteHash {
  if (bytes.length !== 32) throw new TypeError('a write hash is 32 bytes')
  return bytes as WriteHash
}

export interface RecoveryCapacity {
  readonly maxBlobs: number
  readonly maxTotalBytes: number
}

export type PutOutcome = 'created' | 'replaced' | 'wrong-write-secret' | 'full' | 'missing'
export type DeleteOutcome = 'deleted' | 'missing' | 'wrong-write-secret'

export interface RecoveryUsage {
  readonly blobs: number
  readonly bytes: number
}

export interface RecoveryBlobStore {
  get(addr: RecoveryAddr): Promise<Uint8Array | undefined>
  /**
   * Stores or replaces the blob at `addr` in one transaction with the write-hash check (invariants
   * 1–4); `replaceOnly`: only an address that holds a blob (invariant 6).
   */
  put(addr: RecoveryAddr, writeHash: WriteHash, data: Uint8Array, capacity: RecoveryCapacity, replaceOnly?: boolean): Promise<PutOutcome>
  /** Removes the blob at `addr` if `writeHash` is the bound one, in one transaction (invariant 2). */
  delete(addr: RecoveryAddr, writeHash: WriteHash): Promise<DeleteOutcome>
  usage(): Promise<RecoveryUsage>
}

/**
 * Invariant 4, shared by every implementation: a new address counts against `maxBlobs`; bytes
 * count against `maxTotalBytes` only when they grow, so a replacement that shrinks a blob is
 * accepted even when an operator lowered the cap below what is stored.
 */
export function fitsCapacity(usage: RecoveryUsage, existing: number | undefined, size: number, capacity: RecoveryCapacity): boolean {
  if (existing === undefined && usage.blobs + 1 > capacity.maxBlobs) return false
  const bytes = usage.bytes - (existing ?? 0) + size
  return bytes <= capacity.maxTotalBytes || bytes <= usage.bytes
}
