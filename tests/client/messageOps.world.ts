import * as A from '@automerge/automerge'
import { generateDeviceKeys } from '../../crypto/index.js'
import { deviceIdOf, docIdOf, type DeviceId, type DocId } from '../../protocol/index.js'
import { actorOf } from '../../client/core/identity.js'
import { readAction, type ActionView } from '../../client/core/documents/actions.js'
import { fold } from '../../client/core/documents/fold.js'
import { SEGMENT_GENESIS, messageList, readMessage, type MessageRecord, type MessageView, type SegmentDoc } from '../../client/core/documents/model.js'
import { checkChanges, type ChangeVerdict } from '../../client/core/documents/writeRules.js'

/**
 * Replicas of one segment for the message-action tests: personas (alice, bob, carol, eve), each
 * with its own device key as Automerge actor, writing through the same change functions as the
 * Messenger and receiving as the engine does: every change checked by [M20] (`checkChanges`,
 * with its author as signer) before it is applied.
 */
export const SEG: DocId = docIdOf(new Uint8Array(16).fill(7))

export interface Replica {
  readonly name: string
  readonly actor: string
  readonly device: DeviceId
  doc: A.Doc<SegmentDoc>
  /** Codes of the changes this replica refused. */
  readonly refused: string[]
}

export function replica(name: string): Replica {
  const keys = generateDeviceKeys()
  const actor = actorOf(keys.signPublic)
  const doc = A.applyChanges(A.init<SegmentDoc>({ actor: actor as A.ActorId }), [SEGMENT_GENESIS])[0]
  return { name, actor, device: deviceIdOf(keys.signPublic), doc, refused: [] }
}

/** A local change; returns its bytes (undefined when it changed nothing). */
export function write(r: Replica, fn: A.ChangeFn<SegmentDoc>): Uint8Array | undefined {
  const next = A.change(r.doc, { time: 0 }, fn)
  if (next === r.doc) return undefined
  r.doc = next
  return A.getLastLocalChange(next)!
}

let tags = 0
/** A message as MessageLog.write makes it; returns its object id. */
export function send(r: Replica, text: string, ts: number, extra: Partial<MessageRecord> = {}): string {
  const tag = `t${++tags}`
  write(r, (d) => void d.messages.push({ id: new A.ImmutableString(tag), ts, text: new A.ImmutableString(text), ...extra }))
  const list = messageList(r.doc)
  return A.getObjectId(list[list.length - 1]!)!
}

/** Receives changes signed by `signer` as the engine does: refused as a whole, or applied. */
export function receive(to: Replica, changes: readonly Uint8Array[], signer: string): ChangeVerdict {
  const verdict = checkChanges(changes, signer, 'segment')
  if (verdict.ok) to.doc = A.applyChanges(to.doc, changes as Uint8Array[])[0]
  else to.refused.push(verdict.code)
  return verdict
}

/** Everything `from` holds that `to` lacks, each change as its author signed it. */
export function deliver(from: Replica, to: Replica): void {
  const has = new Set(A.getAllChanges(to.doc).map((c) => A.decodeChange(c).hash))
  for (const c of A.getAllChanges(from.doc)) {
    const decoded = A.decodeChange(c)
    if (decoded.actor === '00'.repeat(16) || has.has(decoded.hash!)) continue
    receive(to, [c], decoded.actor)
  }
}

export function entries(doc: A.Doc<SegmentDoc>, seg: DocId = SEG): { messages: MessageView[]; actions: ActionView[] } {
  const messages: MessageView[] = []
  const actions: ActionView[] = []
  for (let i = 0; i < messageList(doc).length; i++) {
    const m = readMessage(doc, seg, i)
    if (m) messages.push(m)
    const a = readAction(doc, seg, i)
    if (a) actions.push(a)
  }
  return { messages, actions }
}

/** The messages as `r` shows them (MessageLog.list's fold), by id order. */
export function view(r: Replica, names: ReadonlyMap<DeviceId, string>) {
  const { messages, actions } = entries(r.doc)
  const shown = messages.sort((a, b) => (a.id < b.id ? -1 : 1)).map((m) => ({ ...m, authorName: names.get(m.author) ?? '?' }))
  return fold(shown, actions, { me: r.device, names, myMentions: new Set() })
}
