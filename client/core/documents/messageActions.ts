import * as A from '@automerge/automerge'
import type { ConvId, DocId } from '../../../protocol/index.js'
import { ClientError, ClientErrorCode } from '../errors.js'
import { newMessageId } from '../ids.js'
import { MAX_REACTIONS_PER_DEVICE, isReaction } from './actions.js'
import type { MessageLogDeps } from './messageLogDeps.js'
import { addEntry, deleteChange, editChange, removeEntries } from './messageOps.js'
import { MAX_MESSAGE_CHARS, type MessageView, type SegmentDoc } from './model.js'
import type { FileRef } from '../files/ref.js'
import { targetResolver } from './fold.js'
import { parseMessageRef, type MessageRef } from './messageRef.js'

/**
 * [M40]–[M44] What a person does to messages already written: edit and delete their own, react,
 * pin, forward. Each is a local change first (offline is fine) queued in the outbox like a
 * message, written in the order asked, after the sends before it. Refusals are coded and
 * happen before anything is written; receivers check authorship again ([M20]). Messages are
 * named by their ref ([M15]); entries name their target's segment beside its object id.
 */
export class MessageActions {
  constructor(private readonly deps: MessageLogDeps, private readonly serial: <T>(run: () => Promise<T>) => Promise<T>) {}

  /** [M40] Only the author device edits; a deleted message stays deleted (M552). */
  edit(conv: ConvId, id: MessageRef, text: string): Promise<void> {
    const body = text.replace(/\r\n/g, '\n').trim()
    if (body.length > MAX_MESSAGE_CHARS) return Promise.reject(new ClientError(ClientErrorCode.MESSAGE_TOO_LONG))
    return this.serial(async () => {
      const m = await this.own(conv, id)
      if (!body && !m.files?.length) throw new ClientError(ClientErrorCode.MESSAGE_EMPTY)
      if (body === m.text) return
      const ts = this.deps.clock.now()
      await this.change(conv, m.segment, editChange(m.id, -1, body, ts), ts)
    })
  }

  /** [M41] Delete for everyone (the author device only); deleting again changes nothing. */
  deleteMessage(conv: ConvId, id: MessageRef): Promise<void> {
    return this.serial(async () => {
      const m = await this.message(conv, id)
      if (m.author !== this.deps.identity.deviceId) throw new ClientError(ClientErrorCode.NOT_AUTHOR)
      if (m.deleted) return
      const ts = this.deps.clock.now()
      await this.change(conv, m.segment, deleteChange(m.id, -1, ts), ts)
    })
  }

  /** [M42] A reaction of this device; the same emoji twice is one reaction. */
  react(conv: ConvId, id: MessageRef, emoji: string): Promise<void> {
    if (!isReaction(emoji)) return Promise.reject(new ClientError(ClientErrorCode.REACTION_INVALID))
    return this.serial(async () => {
      const m = await this.live(conv, id)
      const mine = new Set(this.mine(conv, m).map((a) => a.emoji))
      if (mine.has(emoji)) return
      if (mine.size >= MAX_REACTIONS_PER_DEVICE) throw new ClientError(ClientErrorCode.REACTION_LIMIT)
      const ts = this.deps.clock.now()
      const seg = await this.deps.layout.writableSegment(conv)
      await this.change(conv, seg, addEntry({ id: new A.ImmutableString(newMessageId()), ts, kind: 'react', target: new A.ImmutableString(m.id), seg: new A.ImmutableString(m.segment), emoji: new A.ImmutableString(emoji) }), ts)
    })
  }

  /** [M42] Takes this device's reaction back: its own entries are deleted, wherever they are. */
  unreact(conv: ConvId, id: MessageRef, emoji: string): Promise<void> {
    return this.serial(async () => {
      const m = await this.message(conv, id)
      const bySegment = new Map<DocId, string[]>()
      for (const a of this.mine(conv, m)) if (a.emoji === emoji) bySegment.set(a.segment, [...(bySegment.get(a.segment) ?? []), a.id])
      const ts = this.deps.clock.now()
      for (const [seg, ids] of bySegment) await this.change(conv, seg, removeEntries(ids), ts)
    })
  }

  /** [M46] Any member pins or unpins; the latest (ts, id) pin entry for a message holds. */
  pin(conv: ConvId, id: MessageRef, on: boolean): Promise<void> {
    return this.serial(async () => {
      const m = on ? await this.live(conv, id) : await this.message(conv, id)
      const ts = this.deps.clock.now()
      const seg = await this.deps.layout.writableSegment(conv)
      await this.change(conv, seg, addEntry({ id: new A.ImmutableString(newMessageId()), ts, kind: 'pin', target: new A.ImmutableString(m.id), seg: new A.ImmutableString(m.segment), on }), ts)
    })
  }

  /**
   * [M44] What a forward of the message sends: its text, and its files (which the forward
   * seals anew for the target: their blobs belong to the source conversation's space).
   */
  async forwardable(from: ConvId, id: MessageRef): Promise<{ text: string; files: readonly FileRef[] }> {
    const m = await this.live(from, id)
    return { text: m.text, files: m.files ?? [] }
  }

  /** Every action is pending (counted in `status.pending`) until the server has it, like a message. */
  private async change(conv: ConvId, seg: DocId, fn: A.ChangeFn<SegmentDoc>, ts: number): Promise<void> {
    const tag = newMessageId()
    this.deps.pending.add(tag)
    await this.deps.change(conv, seg, [fn], [tag], ts).catch((err: unknown) => {
      this.deps.pending.delete(tag)
      throw err
    })
    this.deps.emitStatus()
  }

  /** A message of the loaded window (after the scans under way, so one just sent is found). */
  private async message(conv: ConvId, ref: MessageRef): Promise<MessageView> {
    if (!this.deps.registry.get(conv)) throw new ClientError(ClientErrorCode.UNKNOWN_CONVERSATION)
    // A malformed ref (a bare object id too: it may name a message of two segments) finds nothing.
    const at = parseMessageRef(ref)
    if (!at) throw new ClientError(ClientErrorCode.MESSAGE_NOT_FOUND)
    await this.deps.segs.idle()
    let m: MessageView | undefined
    for (const v of this.deps.segs.views(conv)) if (v.id === at.id && v.segment === at.segment) m = v
    if (!m) throw new ClientError(ClientErrorCode.MESSAGE_NOT_FOUND)
    return m
  }

  private async live(conv: ConvId, id: MessageRef): Promise<MessageView> {
    const m = await this.message(conv, id)
    if (m.deleted) throw new ClientError(ClientErrorCode.MESSAGE_DELETED)
    return m
  }

  private async own(conv: ConvId, id: MessageRef): Promise<MessageView> {
    const m = await this.message(conv, id)
    if (m.author !== this.deps.identity.deviceId) throw new ClientError(ClientErrorCode.NOT_AUTHOR)
    if (m.deleted) throw new ClientError(ClientErrorCode.MESSAGE_DELETED)
    return m
  }

  /** This device's reaction entries on a message, in the loaded window, resolved as the fold does. */
  private mine(conv: ConvId, m: MessageView) {
    const me = this.deps.identity.deviceId
    const resolve = targetResolver([...this.deps.segs.views(conv)])
    return [...this.deps.segs.actions(conv)].flatMap((a) => (a.kind === 'react' && a.author === me && a.target === m.id && resolve(a.target, a.targetSeg)?.ref === m.ref ? [a] : []))
  }
}
