import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { EnvelopeAuthors, BATCH_KIND, ZERO_HASH, createSigner, generateDeviceKeys, generateEpochKey, openEnvelope, randomBytes, sealEnvelope, type DeviceKeys } from '../../crypto/index.js'
import { actorOf } from '../../client/core/identity.js'
import { SEGMENT_GENESIS, type SegmentDoc } from '../../client/core/documents/model.js'
import { decodeChanges, encodeChanges } from '../../client/core/documents/payload.js'
import { checkChanges } from '../../client/core/documents/writeRules.js'

/** [E10] as the engine applies it: the receipt check of every change in a segment. */
const changesSignedBy = (batch: readonly Uint8Array[], actor: string): boolean => checkChanges(batch, actor, 'segment').ok

/** [M2] / [E10]: the actor of every change is the hex of the signing device's key. */
const alice = generateDeviceKeys()
const eve = generateDeviceKeys()

/** A segment as a device with actor `actor` writes it: genesis, then one message per text. */
function write(actor: string, texts: string[]): Uint8Array[] {
  let doc = A.applyChanges(A.init<SegmentDoc>({ actor: actor as A.ActorId }), [SEGMENT_GENESIS])[0]
  const out: Uint8Array[] = []
  for (const [i, text] of texts.entries()) {
    doc = A.change(doc, (d) => void d.messages.push({ id: new A.ImmutableString(`m${i}`), ts: 1000 + i, text: new A.ImmutableString(text) }))
    out.push(A.getLastLocalChange(doc)!)
  }
  return out
}

async function sealAndOpen(signerKeys: DeviceKeys, changes: Uint8Array[]): Promise<{ batch: Uint8Array[]; signerActor: string }> {
  const key = generateEpochKey()
  const conv = randomBytes(16)
  const doc = randomBytes(16)
  const author = await new EnvelopeAuthors(signerKeys.signSecret).forEpoch(conv, 0)
  const header = { kind: BATCH_KIND, conv, doc, epoch: 0, chain: author.chain, seq: 1, prev: ZERO_HASH } as const
  const env = await sealEnvelope(header, encodeChanges(changes), key, author)
  const opened = await openEnvelope(env.bytes, { conv, doc, keyFor: () => key })
  if (!opened.ok) throw new Error(opened.code)
  return { batch: decodeChanges(opened.value.payload)!, signerActor: actorOf(opened.value.device) }
}

describe('[E10] receipt check (checkChanges)', () => {
  test('[M2] actorOf is the lower-case hex of the 32-byte signing key', () => {
    expect(actorOf(alice.signPublic)).toMatch(/^[0-9a-f]{64}$/)
    expect(actorOf(alice.signPublic)).toBe(Buffer.from(alice.signPublic).toString('hex'))
  })

  test('[M2] changes made with actor = hex(device key) pass for that device, through seal and open', async () => {
    const changes = write(actorOf(alice.signPublic), ['hello', 'second'])
    expect(changes.every((c) => A.decodeChange(c).actor === actorOf(alice.signPublic))).toBe(true)
    const { batch, signerActor } = await sealAndOpen(alice, changes)
    expect(changesSignedBy(batch, signerActor)).toBe(true)
  })

  test('[M2] eve signs, with her own key, a change carrying alice\'s actor: refused', async () => {
    const forged = write(actorOf(alice.signPublic), ['I, alice, resign'])
    const { batch, signerActor } = await sealAndOpen(eve, forged)
    expect(signerActor).toBe(actorOf(eve.signPublic))
    expect(changesSignedBy(batch, signerActor)).toBe(false)
  })

  test('[M2] one foreign change refuses the whole batch, wherever it is', () => {
    const own = write(actorOf(eve.signPublic), ['a', 'b'])
    const forged = write(actorOf(alice.signPublic), ['x'])[0]!
    for (const batch of [[forged, ...own], [own[0]!, forged, own[1]!], [...own, forged]]) {
      expect(changesSignedBy(batch, actorOf(eve.signPublic))).toBe(false)
    }
    expect(changesSignedBy(own, actorOf(eve.signPublic))).toBe(true)
  })

  test('[M12] the genesis change is never valid on the wire: its actor is nobody\'s device', () => {
    expect(changesSignedBy([SEGMENT_GENESIS], actorOf(alice.signPublic))).toBe(false)
  })

  test('[M2] unreadable change bytes are refused, never thrown', () => {
    const good = write(actorOf(alice.signPublic), ['hello'])[0]!
    const actor = actorOf(alice.signPublic)
    for (const bad of [new Uint8Array(0), randomBytes(64), good.subarray(0, 8), good.subarray(0, good.length - 1), Uint8Array.from([...good, 0]), Uint8Array.from([0, ...good])]) {
      expect(changesSignedBy([bad], actor)).toBe(false)
    }
  })

  test('[M2] property: random bytes never pass and never throw', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { minLength: 1, maxLength: 4 }), (batch) => {
      expect(changesSignedBy(batch, actorOf(alice.signPublic))).toBe(false)
    }))
  })
})

describe('encodeChanges / decodeChanges', () => {
  test('[M9] a list of changes round-trips, including empty ones and an empty list', () => {
    const changes = write(actorOf(alice.signPublic), ['a', 'b', 'c'])
    expect(decodeChanges(encodeChanges(changes))).toEqual(changes)
    expect(decodeChanges(encodeChanges([]))).toEqual([])
    expect(decodeChanges(encodeChanges([new Uint8Array(0), Uint8Array.of(1)]))).toEqual([new Uint8Array(0), Uint8Array.of(1)])
  })

  test('[M9] property: round trip of arbitrary byte lists', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 10 }), (list) => {
      expect(decodeChanges(encodeChanges(list))).toEqual(list)
    }))
  })

  test('[M9] property: every truncation and any extra trailing bytes are refused', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 5 }), fc.uint8Array({ minLength: 1, maxLength: 8 }), (list, extra) => {
      const bytes = encodeChanges(list)
      for (let n = 0; n < bytes.length; n++) expect(decodeChanges(bytes.subarray(0, n))).toBeUndefined()
      expect(decodeChanges(Uint8Array.from([...bytes, ...extra]))).toBeUndefined()
    }))
  })

  test('[M9] a count or a length larger than the payload is refused without allocating', () => {
    const huge = new Uint8Array(8)
    new DataView(huge.buffer).setUint32(0, 0xffffffff)
    expect(decodeChanges(huge)).toBeUndefined()
    const longLen = new Uint8Array(8)
    new DataView(longLen.buffer).setUint32(0, 1)
    new DataView(longLen.buffer).setUint32(4, 0xffffffff)
    expect(decodeChanges(longLen)).toBeUndefined()
  })

  test('[M9] decoding works on a view into a larger buffer (payloads are subarrays of the plaintext)', () => {
    const inner = encodeChanges([Uint8Array.of(1, 2), Uint8Array.of(3)])
    const outer = new Uint8Array(inner.length + 10)
    outer.set(inner, 5)
    expect(decodeChanges(outer.subarray(5, 5 + inner.length))).toEqual([Uint8Array.of(1, 2), Uint8Array.of(3)])
  })
})
