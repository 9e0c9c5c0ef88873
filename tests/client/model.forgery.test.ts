import * as A from '@automerge/automerge'
import { describe, expect, test } from 'vitest'
import { generateDeviceKeys } from '../../crypto/index.js'
import { deviceIdOf, type DocId } from '../../protocol/index.js'
import { actorOf } from '../../client/core/identity.js'
import { SEGMENT_GENESIS, readMembers, readSegment, type RootDoc, type SegmentDoc } from '../../client/core/model.js'
import { changesSignedBy } from '../../client/core/payload.js'

/**
 * [M15] Known gaps (client/core/SPEC.md, "Known gaps"): eve signs honestly, as herself, so
 * [E10] passes, but her change writes into objects alice created. These tests are `test.fails`:
 * they describe the wanted behaviour and fail today. When the gap is closed they turn red;
 * then drop `.fails`.
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
function eveChanges<T>(doc: A.Doc<T>, fn: A.ChangeFn<T>): { received: A.Doc<T>; passesE10: boolean } {
  const change = A.getLastLocalChange(A.change(A.clone(doc, { actor: eveActor as A.ActorId }), fn))!
  return { received: A.applyChanges(doc, [change])[0], passesE10: changesSignedBy([change], eveActor) }
}

describe('known gaps: writes into another device\'s objects', () => {
  test.fails('[M15] known gap: eve rewrites the text of alice\'s message, and it still shows alice as its author', () => {
    const { received, passesE10 } = eveChanges(alicesSegment(), (d) => void (d.messages[0]!.text = new A.ImmutableString('the depot is closed today')))
    expect(passesE10).toBe(true) // eve's actor, eve's signature: [E10] is satisfied
    const shown = readSegment(received, SEG)
    expect(shown.filter((m) => m.author === deviceIdOf(alice.signPublic)).map((m) => m.text)).not.toContain('the depot is closed today')
  })

  test.fails('[M12] known gap: eve replaces a segment\'s message list and alice\'s history disappears', () => {
    const { received } = eveChanges(alicesSegment(), (d) => void (d.messages = []))
    expect(readSegment(received, SEG).map((m) => m.text)).toEqual(['the depot opens at 6'])
  })

  test.fails('[M15] known gap: eve deletes alice\'s message from the list', () => {
    const { received } = eveChanges(alicesSegment(), (d) => void d.messages.splice(0, 1))
    expect(readSegment(received, SEG).map((m) => m.text)).toEqual(['the depot opens at 6'])
  })

  test.fails('[M15] known gap: eve overwrites the name inside alice\'s own member entry', () => {
    const aliceId = deviceIdOf(alice.signPublic)
    const root = A.change(A.init<RootDoc>({ actor: aliceActor as A.ActorId }), (d) => void (d[`m:${aliceId}`] = { name: new A.ImmutableString('alice'), at: 1 }))
    const { received } = eveChanges(root, (d) => void ((d[`m:${aliceId}`] as { name: A.ImmutableString }).name = new A.ImmutableString('alice (fired)')))
    expect(readMembers(received).get(aliceId)).toBe('alice')
  })
})
