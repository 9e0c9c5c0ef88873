import * as z from 'zod'
import { hideKeyPart, openStored, sealStored, type StorageKeys } from '../../../crypto/index.js'
import { compareKeys, startsWith, type Entry, type Key, type LocalStore, type WriteOp } from './LocalStore.js'
import { decodeRecord, encodeRecord } from './records.js'

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
const recordSchema = z.object({ k: z.array(z.string()), v: z.instanceof(Uint8Array) })

export class EncryptedStore implements LocalStore {
  private readonly hidden = new Map<string, string>()

  constructor(private readonly inner: LocalStore, private readonly keys: StorageKeys) {}

  async get(key: Key): Promise<Uint8Array | undefined> {
    const slot = await this.slotOf(key)
    const stored = await this.inner.get(slot)
    if (!stored) return undefined
    return (await this.open(slot, stored, key))?.v ?? UNREADABLE
  }

  async range(prefix: Key): Promise<Entry[]> {
    const entries = await this.inner.range(await this.slotOf(prefix))
    const opened = await Promise.all(entries.map((e) => this.open(e.key, e.value)))
    const out: Entry[] = []
    for (const rec of opened) if (rec && startsWith(rec.k, prefix)) out.push({ key: rec.k, value: rec.v })
    return out.sort((a, b) => compareKeys(a.key, b.key))
  }

  async write(ops: readonly WriteOp[]): Promise<void> {
    await this.inner.write(await this.sealed(ops))
  }

  /** The ops as the inner store takes them (hidden keys, sealed values), without writing them. */
  sealed(ops: readonly WriteOp[]): Promise<WriteOp[]> {
    return Promise.all(
      ops.map(async (op) => {
        const slot = await this.slotOf(op.key)
        if (op.value === undefined) return { key: slot, value: undefined }
        return { key: slot, value: await sealStored(this.keys, slotName(slot), encodeRecord({ k: [...op.key], v: op.value })) }
      }),
    )
  }

  async removeRange(prefix: Key): Promise<void> {
    await this.inner.removeRange(await this.slotOf(prefix))
  }

  close(): Promise<void> {
    return this.inner.close()
  }


  /** The stored key of `key`: its namespace as it is, every later part hidden. */
  async slotOf(key: Key): Promise<string[]> {
    if (key.length === 0) return []
    const rest = await Promise.all(key.slice(1).map((part) => this.hide(part)))
    return [key[0]!, ...rest]
  }

  private async hide(part: string): Promise<string> {
    // Counters and sequence numbers name nothing; kept as they are, they cost no HMAC per write.
    if (/^\d{1,20}$/.test(part)) return part
    let h = this.hidden.get(part)
    if (h === undefined) {
      if (this.hidden.size > 50_000) this.hidden.clear()
      this.hidden.set(part, (h = await hideKeyPart(this.keys, part)))
    }
    return h
  }

  /** A record of `slot`, opened and checked: it must name the key it is stored for. */
  private async open(slot: readonly string[], stored: Uint8Array, expected?: Key): Promise<{ k: string[]; v: Uint8Array } | undefined> {
    const opened = await openStored(this.keys, slotName(slot), stored)
    const rec = opened.ok ? decodeRecord(opened.value, recordSchema) : undefined
    if (!rec || (expected && compareKeys(rec.k, expected) !== 0)) return undefined
    return rec
  }
}

/** One string per slot for the record's additional data (parts cannot contain a NUL: ids and names are checked). */
const slotName = (slot: readonly string[]): string => slot.join('\u0000')
