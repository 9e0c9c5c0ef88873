import * as A from '@automerge/automerge'
import { describe, expect, test } from 'vitest'
import { generateDeviceKeys } from '../../crypto/index.js'
import { deviceIdOf, type DocId } from '../../protocol/index.js'
import { actorOf } from '../../client/core/identity.js'
import { SEGMENT_GENESIS, creatorOfId, readSegment, type RootDoc, type SegmentDoc } from '../../client/core/documents/model.js'
import { checkChanges, type ChangeVerdict, type DocKind } from '../../client/core/documents/writeRules.js'

/**
 * [M20] Attacks by a member who signs honestly, as herself, so [E10] passes: her change writes
 * into objects alice created. The receiver applies a change only when the write rules accept
 * it (as engine.openAndApply does); nothing of hers may alter what alice wrote.
 */
const alice = generateDeviceKeys()
const eve = generateDeviceKeys()
const SEG = 'segment' as DocId
const aliceActor = actorOf(alice.signPublic)
const eveActor = actorOf(eve.signPublic)

function alicesSegment(): A.Doc<SegmentDoc> {
  const doc = A.applyChanges(A.init<SegmentDoc>({ actor: aliceActor as A.ActorId }), [SEGMENT_GENESIS])[0]
  return A.change(doc, (d) => void d.messages.push({ id: new A.ImmutableString('m1'), ts: 1000, text: new A.ImmutableString('the depot opens at 6') }))
}

/** Eve's change, made on a copy of alice's document, and what a receiver ends up with. */
function eveChanges<T>(doc: A.Doc<T>, kind: DocKind, fn: A.ChangeFn<T>): { received: A.Doc<T>; passesE10: boolean; verdict: ChangeVerdict } {
  const change = A.getLastLocalChange(A.change(A.clone(doc, { actor: eveActor as A.ActorId }), fn))!
  const verdict = checkChanges([change], eveActor, kind)
  return { received: verdict.ok ? A.applyChanges(doc, [change])[0] : doc, passesE10: A.decodeChange(change).actor === eveActor, verdict }
}

describe('[M20] a member cannot alter what another device wrote', () => {
  test('[M20] eve rewriting the text of alice\'s message is refused (M303); alice\'s text stays', () => {
    const { received, passesE10, verdict } = eveChanges(alicesSegment(), 'segment', (d) => void (d.messages[0]!.text = new A.ImmutableString('the depot is closed today')))
    expect(passesE10).toBe(true) // eve's actor, eve's signature: [E10] alone does not catch it
    expect(verdict).toEqual({ ok: false, code: 'M303_WRITE_REFUSED' })
    expect(readSegment(received, SEG).map((m) => m.text)).toEqual(['the depot opens at 6'])
  })

  test('[M20] eve replacing a segment\'s message list is refused; the history stays', () => {
    const { received, verdict } = eveChanges(alicesSegment(), 'segment', (d) => void (d.messages = []))
    expect(verdict.ok).toBe(false)
    expect(readSegment(received, SEG).map((m) => m.text)).toEqual(['the depot opens at 6'])
  })

  test('[M20] eve deleting alice\'s message from the list is refused', () => {
    const { received, verdict } = eveChanges(alicesSegment(), 'segment', (d) => void d.messages.splice(0, 1))
    expect(verdict.ok).toBe(false)
    expect(readSegment(received, SEG).map((m) => m.text)).toEqual(['the depot opens at 6'])
  })

  test('[M20] a root takes segment records only: a title, a member entry or a removal marker (the membership model before format 4) is refused', () => {
    const aliceId = deviceIdOf(alice.signPublic)
    const root = A.change(A.init<RootDoc>({ actor: aliceActor as A.ActorId }), (d) => void (d['s:0'] = { start: 1 }))
    for (const write of [
      (d: RootDoc) => void (d.title = new A.ImmutableString('Depot 4')),
      (d: RootDoc) => void (d[`m:${deviceIdOf(eve.signPublic)}`] = { name: new A.ImmutableString('eve'), at: 3 }),
      (d: RootDoc) => void (d[`x:${aliceId}`] = { at: 3 }),
      (d: RootDoc) => void delete d['s:0'],
    ]) {
      const forged = eveChanges(root, 'root', write)
      expect(forged.verdict).toEqual({ ok: false, code: 'M303_WRITE_REFUSED' })
      expect(forged.received).toBe(root)
    }
  })

  test('[M20] what a member may do passes: add a message, delete her own, add a segment', () => {
    const seg = alicesSegment()
    const add = eveChanges(seg, 'segment', (d) => void d.messages.push({ id: new A.ImmutableString('e1'), ts: 2000, text: new A.ImmutableString('on my way') }))
    // The change creates one message object: its id is what [M26] records the epoch of.
    const id = expect.stringMatching(new RegExp(`^\\d+@${eveActor}$`))
    // [M3b] and the entry it appends, read from its ops: the record as the document shows it.
    expect(add.verdict).toEqual({ ok: true, created: [id], appended: [{ id, rec: { id: new A.ImmutableString('e1'), ts: 2000, text: new A.ImmutableString('on my way') } }] })
    expect(readSegment(add.received, SEG).map((m) => m.id)).toContain((add.verdict as { created: string[] }).created[0])
    const own = eveChanges(add.received, 'segment', (d) => void d.messages.splice(1, 1))
    // A deletion appends nothing: no `appended`, the document is read.
    expect(own.verdict).toEqual({ ok: true, created: [] })
    const root = A.change(A.init<RootDoc>({ actor: aliceActor as A.ActorId }), (d) => void (d['s:0'] = { start: 1 }))
    const rootOps = eveChanges(root, 'root', (d) => void (d['s:1'] = { start: 5 }))
    expect(rootOps.verdict).toEqual({ ok: true, created: [] })
  })

  test('[M20] a change whose last byte is flipped is refused as unreadable (M302)', () => {
    const change = A.getLastLocalChange(alicesSegment())!.slice()
    change[change.length - 1]! ^= 0x01
    expect(checkChanges([change], aliceActor, 'segment')).toEqual({ ok: false, code: 'M302_CHANGE_UNREADABLE' })
  })

  // Automerge decodes a change without checking its checksum: every single-bit flip of an honest
  // change that still decodes with alice's actor (so [E10] would pass it) must be refused here.
  test('[M20] no single-bit flip of an honest change passes: each one that still decodes fails its checksum (M302)', () => {
    const honest = A.getLastLocalChange(alicesSegment())!
    expect(checkChanges([honest], aliceActor, 'segment').ok).toBe(true)
    let decodable = 0
    for (let bit = 0; bit < honest.length * 8; bit++) {
      const b = honest.slice()
      b[bit >> 3]! ^= 1 << (bit & 7)
      try {
        A.decodeChange(b)
        decodable++
      } catch {
        /* refused by the decoder itself */
      }
      expect(checkChanges([b], aliceActor, 'segment')).toEqual({ ok: false, code: 'M302_CHANGE_UNREADABLE' })
    }
    expect(decodable).toBeGreaterThan(0)
  })

  test('[M20] an honest change\'s checksum is the first four bytes of its hash: small, large, and read back from a saved document', () => {
    const doc = A.applyChanges(A.init<SegmentDoc>({ actor: eveActor as A.ActorId }), [SEGMENT_GENESIS])[0]
    const small = A.change(doc, (d) => void d.messages.push({ id: new A.ImmutableString('m2'), ts: 1, text: new A.ImmutableString('x') }))
    const large = A.change(small, (d) => void d.messages.push({ id: new A.ImmutableString('m3'), ts: 2, text: new A.ImmutableString('y'.repeat(20_000)) }))
    const reloaded = A.getAllChanges(A.load(A.save(large)))
    for (const change of [A.getLastLocalChange(small)!, A.getLastLocalChange(large)!, ...reloaded]) {
      expect(Buffer.from(change.subarray(4, 8)).toString('hex')).toBe(A.decodeChange(change).hash!.slice(0, 8))
    }
    expect(checkChanges(reloaded.slice(1), eveActor, 'segment').ok).toBe(true)
  })

  test('[M20] a compressed change chunk or a document chunk is refused (M302): only uncompressed change chunks are applied', () => {
    const honest = A.getLastLocalChange(alicesSegment())!
    const typed = honest.slice()
    typed[8] = 2
    expect(checkChanges([typed], aliceActor, 'segment')).toEqual({ ok: false, code: 'M302_CHANGE_UNREADABLE' })
    expect(checkChanges([A.save(alicesSegment())], aliceActor, 'segment')).toEqual({ ok: false, code: 'M302_CHANGE_UNREADABLE' })
    expect(checkChanges([honest.subarray(0, 8)], aliceActor, 'segment')).toEqual({ ok: false, code: 'M302_CHANGE_UNREADABLE' })
  })
})

describe('creatorOfId (remembered per actor)', () => {
  test('names the same device every time, and nobody for an actor that is not a device key, asked again', () => {
    const id = `7@${aliceActor}`
    expect(creatorOfId(id)).toBe(deviceIdOf(alice.signPublic))
    expect(creatorOfId(`9@${aliceActor}`)).toBe(deviceIdOf(alice.signPublic))
    expect(creatorOfId(`1@${eveActor}`)).toBe(deviceIdOf(eve.signPublic))
    for (const bad of ['3@abcd', '3@', '3@zz'.padEnd(66, 'z'), `3@${aliceActor.toUpperCase()}`]) {
      expect(creatorOfId(bad)).toBeUndefined()
      expect(creatorOfId(bad)).toBeUndefined()
    }
  })
})
