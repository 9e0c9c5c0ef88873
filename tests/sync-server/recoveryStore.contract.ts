import { createHash } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { randomBytes } from '../../crypto/verify.js'
import { asRecoveryAddr, asWriteHash, type RecoveryBlobStore, type RecoveryCapacity } from '../../sync-server/store/RecoveryBlobStore.js'

/** A person's recovery key as the server meets it: an address, a write secret and its hash, and sealed blobs. */
export function recoveryPersona(name: string) {
  const write = randomBytes(32)
  return {
    name,
    addr: asRecoveryAddr(randomBytes(32)),
    write,
    writeHash: asWriteHash(new Uint8Array(createHash('sha256').update(write).digest())),
    blob: (size = 4096) => randomBytes(size),
  }
}

export const roomy: RecoveryCapacity = { maxBlobs: 1000, maxTotalBytes: 1 << 30 }

/**
 * The contract every RecoveryBlobStore runs (invariants 1–4 of sync-server/store/RecoveryBlobStore.ts).
 * Personas: alice and bob keep recovery blobs; eve knows an address (she saw it on the wire) but not its write secret.
 */
export function recoveryStoreContract(name: string, open: () => { store: RecoveryBlobStore; close(): Promise<void> }): void {
  describe(`RecoveryBlobStore contract: ${name}`, () => {
    let store: RecoveryBlobStore
    let close: () => Promise<void>
    beforeEach(() => {
      ;({ store, close } = open())
    })
    afterEach(() => close())

    const bytesAt = async (addr: Uint8Array) => {
      const got = await store.get(asRecoveryAddr(addr))
      return got && new Uint8Array(got)
    }

    test('[S15] invariant 1: the first put stores the blob under its address; get returns exactly those bytes', async () => {
      const alice = recoveryPersona('alice')
      const blob = alice.blob()
      expect(await store.put(alice.addr, alice.writeHash, blob, roomy)).toBe('created')
      expect(await bytesAt(alice.addr)).toEqual(blob)
      expect(await bytesAt(randomBytes(32))).toBeUndefined()
    })

    test('[S15] invariant 3: a put with the bound write hash replaces the blob whole', async () => {
      const alice = recoveryPersona('alice')
      await store.put(alice.addr, alice.writeHash, alice.blob(8192), roomy)
      const newer = alice.blob(4096)
      expect(await store.put(alice.addr, alice.writeHash, newer, roomy)).toBe('replaced')
      expect(await bytesAt(alice.addr)).toEqual(newer)
      expect(await store.usage()).toEqual({ blobs: 1, bytes: 4096 })
    })

    test('[S15] invariant 2: eve\'s put or delete with another write hash is refused and changes nothing', async () => {
      const alice = recoveryPersona('alice')
      const eve = recoveryPersona('eve')
      const blob = alice.blob()
      await store.put(alice.addr, alice.writeHash, blob, roomy)
      expect(await store.put(alice.addr, eve.writeHash, eve.blob(), roomy)).toBe('wrong-write-secret')
      expect(await store.delete(alice.addr, eve.writeHash)).toBe('wrong-write-secret')
      expect(await bytesAt(alice.addr)).toEqual(blob)
      expect(await store.usage()).toEqual({ blobs: 1, bytes: 4096 })
    })

    test('[S15] invariant 1: the bound write hash never changes through a put', async () => {
      const alice = recoveryPersona('alice')
      const eve = recoveryPersona('eve')
      await store.put(alice.addr, alice.writeHash, alice.blob(), roomy)
      await store.put(alice.addr, alice.writeHash, alice.blob(), roomy)
      expect(await store.put(alice.addr, eve.writeHash, eve.blob(), roomy)).toBe('wrong-write-secret')
      expect(await store.put(alice.addr, alice.writeHash, alice.blob(), roomy)).toBe('replaced')
    })

    test('[S15] a delete with the bound write hash frees the address; a new key may then claim it', async () => {
      const alice = recoveryPersona('alice')
      const bob = recoveryPersona('bob')
      await store.put(alice.addr, alice.writeHash, alice.blob(), roomy)
      await store.put(bob.addr, bob.writeHash, bob.blob(), roomy)
      expect(await store.delete(alice.addr, alice.writeHash)).toBe('deleted')
      expect(await bytesAt(alice.addr)).toBeUndefined()
      expect(await store.delete(alice.addr, alice.writeHash)).toBe('missing')
      expect(await bytesAt(bob.addr)).toBeDefined()
      expect(await store.usage()).toEqual({ blobs: 1, bytes: 4096 })
      const other = recoveryPersona('alice-new')
      expect(await store.put(alice.addr, other.writeHash, other.blob(), roomy)).toBe('created')
    })

    test('[S15] invariant 6: a replace-only put (a refresh) at an address that holds no blob — deleted by a restore, or never made — changes nothing', async () => {
      const alice = recoveryPersona('alice')
      expect(await store.put(alice.addr, alice.writeHash, alice.blob(), roomy, true)).toBe('missing')
      expect(await bytesAt(alice.addr)).toBeUndefined()
      expect(await store.put(alice.addr, alice.writeHash, alice.blob(), roomy)).toBe('created')
      expect(await store.put(alice.addr, alice.writeHash, alice.blob(), roomy, true)).toBe('replaced')
      expect(await store.delete(alice.addr, alice.writeHash)).toBe('deleted')
      expect(await store.put(alice.addr, alice.writeHash, alice.blob(), roomy, true)).toBe('missing')
      expect(await bytesAt(alice.addr)).toBeUndefined()
      expect((await store.usage()).blobs).toBe(0)
    })

    test('[S17] invariant 4: a new address beyond maxBlobs is full and stores nothing; replacing an existing one is not', async () => {
      const [alice, bob, carol] = ['alice', 'bob', 'carol'].map(recoveryPersona)
      const two = { maxBlobs: 2, maxTotalBytes: 1 << 30 }
      await store.put(alice!.addr, alice!.writeHash, alice!.blob(), two)
      await store.put(bob!.addr, bob!.writeHash, bob!.blob(), two)
      expect(await store.put(carol!.addr, carol!.writeHash, carol!.blob(), two)).toBe('full')
      expect(await bytesAt(carol!.addr)).toBeUndefined()
      expect(await store.put(alice!.addr, alice!.writeHash, alice!.blob(8192), two)).toBe('replaced')
      expect(await store.usage()).toEqual({ blobs: 2, bytes: 8192 + 4096 })
    })

    test('[S17] invariant 4: growth beyond maxTotalBytes is full; a replacement that shrinks is accepted', async () => {
      const [alice, bob] = ['alice', 'bob'].map(recoveryPersona)
      const small = { maxBlobs: 100, maxTotalBytes: 16384 }
      await store.put(alice!.addr, alice!.writeHash, alice!.blob(8192), small)
      await store.put(bob!.addr, bob!.writeHash, bob!.blob(8192), small)
      expect(await store.put(bob!.addr, bob!.writeHash, bob!.blob(16384), small)).toBe('full')
      expect((await bytesAt(bob!.addr))!.length).toBe(8192)
      expect(await store.put(bob!.addr, bob!.writeHash, bob!.blob(4096), { maxBlobs: 100, maxTotalBytes: 4096 })).toBe('replaced')
      expect(await store.usage()).toEqual({ blobs: 2, bytes: 8192 + 4096 })
    })

    test('[S15] invariant 3: a stored blob is a copy: changing the caller\'s buffer afterwards changes nothing', async () => {
      const alice = recoveryPersona('alice')
      const blob = alice.blob()
      const kept = blob.slice()
      await store.put(alice.addr, alice.writeHash, blob, roomy)
      blob.fill(0)
      expect(await bytesAt(alice.addr)).toEqual(kept)
    })
  })
}
