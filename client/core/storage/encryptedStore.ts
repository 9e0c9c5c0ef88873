import { Decoder } from 'cbor-x'
import { hideKeyPart, hideKeyPartNow, openStored, openStoredNow, sealStored, sealStoredNow, type Result, type StorageKeys } from '../../../crypto/index.js'
import { compareKeys, startsWith, type Entry, type Key, type LocalStore, type WriteOp } from './LocalStore.js'
import { encodeRecord } from './records.js'

/**
 * [M28] The device's store encrypted at rest, below the engine: every value is sealed with the
 * storage keys (crypto [R2]) together with its key, and every part of a key after its first (the
 * namespace, such as `conv` or `out`) is stored hidden (crypto [R3]), so the files name no
 * conversation, document, message or person. `range` finds records by their hidden prefix, opens
 * them and puts them back in key order (a part made of digits only — a counter, a sequence
 * number — names nothing and is kept as it is). A record that does not open (damaged, moved to
 * another slot, written under another key) reads through `get` as bytes no record schema accepts,
 * so it is set aside as corrupt ([M3]), never taken for a missing one and overwritten; `range`
 * leaves it out (its key is inside what does not open).
 */
const UNREADABLE = Uint8Array.of(0xff)
/** A record as sealed: its key and its value. */
interface Rec {
  readonly k: string[]
  readonly v: Uint8Array
}

export class EncryptedStore implements LocalStore {
  private readonly hidden = new Map<string, string>()
  /** Writes still sealing or writing (WebCrypto's path): `close` waits for them. */
  private readonly writing = new Set<Promise<void>>()

  constructor(private readonly inner: LocalStore, private readonly keys: StorageKeys) {}

  // Where the platform seals, opens and hides at once (Node: crypto [R2][R3]), every call below
  // takes its synchronous path: no promise per record or key part, and a write reaches the inner
  // store in the same turn, as a clear store's would. Elsewhere (WebCrypto), the awaited path.

  async get(key: Key): Promise<Uint8Array | undefined> {
    const slot = this.slotNow(key) ?? (await this.slotOf(key))
    const stored = await this.inner.get(slot)
    if (!stored) return undefined
    const now = openStoredNow(this.keys, slotName(slot), stored)
    return (now ? this.check(now, key) : await this.open(slot, stored, key))?.v ?? UNREADABLE
  }

  async range(prefix: Key): Promise<Entry[]> {
    const entries = await this.inner.range(this.slotNow(prefix) ?? (await this.slotOf(prefix)))
    let opened: (Rec | undefined | Promise<Rec | undefined>)[] = entries.map((e) => {
      const now = openStoredNow(this.keys, slotName(e.key), e.value)
      return now ? this.check(now) : this.open(e.key, e.value)
    })
    if (opened.some((r) => r instanceof Promise)) opened = await Promise.all(opened) // all in flight together
    const out: Entry[] = []
    for (const rec of opened as (Rec | undefined)[]) if (rec && startsWith(rec.k, prefix)) out.push({ key: rec.k, value: rec.v })
    return out.sort((a, b) => compareKeys(a.key, b.key))
  }

  async write(ops: readonly WriteOp[]): Promise<void> {
    const now = this.sealedNow(ops)
    if (now) return this.inner.write(now)
    const done = this.sealed(ops).then((sealed) => this.inner.write(sealed))
    this.writing.add(done)
    try {
      await done
    } finally {
      this.writing.delete(done)
    }
  }

  /** The ops as the inner store takes them (hidden keys, sealed values), without writing them. */
  async sealed(ops: readonly WriteOp[]): Promise<WriteOp[]> {
    return (
      this.sealedNow(ops) ??
      Promise.all(
        ops.map(async (op) => {
          const slot = await this.slotOf(op.key)
          if (op.value === undefined) return { key: slot, value: undefined }
          return { key: slot, value: await sealStored(this.keys, slotName(slot), this.record(op.key, op.value)) }
        }),
      )
    )
  }

  async removeRange(prefix: Key): Promise<void> {
    await this.inner.removeRange(this.slotNow(prefix) ?? (await this.slotOf(prefix)))
  }

  async close(): Promise<void> {
    // A write begun before close (automerge-repo's throttled save racing the engine's shutdown) may
    // still be sealing across awaits, where a clear store's would be done: let it land, then close.
    await Promise.allSettled([...this.writing])
    return this.inner.close()
  }

  /** The stored key of `key`: its namespace as it is, every later part hidden. */
  async slotOf(key: Key): Promise<string[]> {
    const now = this.slotNow(key)
    if (now) return now
    const rest = await Promise.all(key.slice(1).map(async (part) => this.hideNow(part) ?? this.remember(part, await hideKeyPart(this.keys, part))))
    return [key[0]!, ...rest]
  }

  /** `slotOf` without a wait, or undefined if a part needs WebCrypto. */
  private slotNow(key: Key): string[] | undefined {
    const slot = key.length ? [key[0]!] : []
    for (let i = 1; i < key.length; i++) {
      const h = this.hideNow(key[i]!)
      if (h === undefined) return undefined
      slot.push(h)
    }
    return slot
  }

  private hideNow(part: string): string | undefined {
    // Counters and sequence numbers name nothing; kept as they are, they cost no HMAC per write.
    if (/^\d{1,20}$/.test(part)) return part
    const h = this.hidden.get(part)
    if (h !== undefined) return h
    const now = hideKeyPartNow(this.keys, part)
    return now === undefined ? undefined : this.remember(part, now)
  }

  private remember(part: string, hidden: string): string {
    if (this.hidden.size > 50_000) this.hidden.clear()
    this.hidden.set(part, hidden)
    return hidden
  }

  /** The sealed ops without a wait, or undefined if any needs WebCrypto. */
  private sealedNow(ops: readonly WriteOp[]): WriteOp[] | undefined {
    const out: WriteOp[] = []
    for (const op of ops) {
      const slot = this.slotNow(op.key)
      if (!slot) return undefined
      if (op.value === undefined) {
        out.push({ key: slot, value: undefined })
        continue
      }
      const value = sealStoredNow(this.keys, slotName(slot), this.record(op.key, op.value))
      if (!value) return undefined
      out.push({ key: slot, value })
    }
    return out
  }

  /** What a slot holds once opened: the key itself (hidden parts do not give it back) and the value. */
  private record(key: Key, value: Uint8Array): Uint8Array {
    return encodeRecord({ k: [...key], v: value })
  }

  /** A record of `slot`, opened and checked: it must name the key it is stored for. */
  private async open(slot: readonly string[], stored: Uint8Array, expected?: Key): Promise<Rec | undefined> {
    return this.check(await openStored(this.keys, slotName(slot), stored), expected)
  }

  private check(opened: Result<Uint8Array>, expected?: Key): Rec | undefined {
    const rec = opened.ok ? readOpened(opened.value) : undefined
    if (!rec || (expected && compareKeys(rec.k, expected) !== 0)) return undefined
    return rec
  }
}

/** One string per slot for the record's additional data (parts cannot contain a NUL: ids and names are checked). */
const slotName = (slot: readonly string[]): string => slot.join('\u0000')

const wrapper = new Decoder({ useRecords: false, mapsAsObjects: true })

/**
 * The `{k, v}` wrapper of a record that opened: it was sealed by this store's own key (AES-GCM
 * authenticated it), so it is decoded without the shape pass untrusted CBOR gets ([P4]), and
 * checked by hand rather than by schema — a cold open reads thousands of them. Anything else
 * still reads as a record that does not open.
 */
function readOpened(bytes: Uint8Array): Rec | undefined {
  let r: { k?: unknown; v?: unknown } | undefined
  try {
    r = wrapper.decode(bytes) as typeof r
  } catch {
    return undefined
  }
  if (!r || typeof r !== 'object' || !Array.isArray(r.k) || !r.k.every((p) => typeof p === 'string') || !(r.v instanceof Uint8Array)) return undefined
  return { k: r.k as string[], v: r.v.constructor === Uint8Array ? r.v : new Uint8Array(r.v) }
}
