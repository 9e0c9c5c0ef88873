import * as A from '@automerge/automerge'
import type { ConvId, DocId } from '../../../protocol/index.js'
import { ClientError, ClientErrorCode } from '../errors.js'
import { newMessageId } from '../ids.js'
import { MAX_MESSAGE_CHARS, compareMessages, type MessageRecord, type MessageView, type SegmentDoc } from './model.js'
import type { SegmentChanges } from './segmentWindow.js'
import { idBytes, type DeviceId } from '../../../protocol/index.js'
import { toHex } from '../../../crypto/index.js'
import { fileRecord, type FileRef } from '../files/ref.js'
import { MAX_VERDICTS_PER_MESSAGE, isVerdict, verdictOnly, verdictRecord, type ScanVerdict } from '../scanner/verdict.js'
import { MessageActions } from './messageActions.js'
import type { MessageLogDeps } from './messageLogDeps.js'
import type { DisplayMessage } from './displayMessage.js'
export type { MessageLogDeps }
import { fold, targetResolver, type FoldedFields } from './fold.js'
import { OBJECT_ID, parseMessageRef, refOf, type MessageRef } from './messageRef.js'
import { MAX_MENTIONS, mentionSchema } from './messageFields.js'
import { TimerWrites, orgMaxOf } from './timerWrites.js'
import { CallLog } from './callLog.js'
import { expiryOf, isExpired } from './expiry.js'

/** [M43] `mentions`: device ids (hex) or user ids of the directory; [M47] `replyTo`: the answered message's ref ([M15]). */
export interface SendOptions { readonly replyTo?: MessageRef; readonly mentions?: readonly string[] }

export type { DisplayMessage }


/**
 * What `write` is given: a message's text and, for uploads and scanners, its files, verdicts, tag
 * and time. `replyTo`: a ref, or (an upload queued before refs) an object id, written with its
 * segment when exactly one loaded message has it.
 */
export interface WriteInput { text: string; replyTo?: string; files?: readonly FileRef[]; verdicts?: readonly ScanVerdict[]; tag?: string; ts?: number; mentions?: readonly string[]; fwd?: boolean }
interface Queued { conv: ConvId; m: WriteInput; body: string; resolve: (v: MessageView) => void; reject: (err: unknown) => void }
/** Messages written with one change call at most ([M14a]). */
const BATCH_MESSAGES = 256
/** [M14a] The most a run's change may carry, at worst (each text's UTF-8 at 3 bytes a character, each file's reference at 1 KiB). */
const RUN_BYTES = 192 * 1024
const recordBytes = (q: { body: string; m: { files?: readonly unknown[]; mentions?: readonly unknown[]; verdicts?: readonly unknown[] } }): number =>
  256 + q.body.length * 3 + 1024 * ((q.m.files?.length ?? 0) + (q.m.verdicts?.length ?? 0)) + 64 * (q.m.mentions?.length ?? 0)

const hexes = new Map<DeviceId, string>()
/** A device id as the graphs name it (hex of its key), remembered: asked for every message shown. */
function hexOf(device: DeviceId): string {
  let hex = hexes.get(device)
  if (!hex) {
    if (hexes.size > 10_000) hexes.clear()
    hexes.set(device, (hex = toHex(idBytes(device))))
  }
  return hex
}

/** A conversation's messages: written here one at a time, and listed as the person sees them. */
export class MessageLog {
  private sendChain: Promise<unknown> = Promise.resolve()
  /** Sends waiting for the writes under way ([M14a]). */
  private readonly queued: Queued[] = []
  /** [M40]–[M46] Edits, deletes, reactions and pins, written in turn with the sends. */
  readonly actions: MessageActions
  /** [M65]–[M68] The disappearing-messages timer, `exp`, and deleting this device's expired entries. */
  readonly timers: TimerWrites
  /** [V7] The conversation's call history. */
  readonly calls: CallLog

  constructor(private readonly deps: MessageLogDeps) {
    this.actions = new MessageActions(deps, (run) => this.serial(run))
    this.timers = new TimerWrites(deps, (run) => this.serial(run))
    this.calls = new CallLog(deps, (run) => this.serial(run))
  }

  private serial<T>(run: () => Promise<T>): Promise<T> {
    const result = this.sendChain.then(run)
    this.sendChain = result.catch(() => undefined)
    return result
  }

  /** Settles once every message sent so far is in the outbox (or refused). */
  get settled(): Promise<unknown> {
    return this.sendChain
  }

  /**
   * [M26] checked again against the membership as it is now: a device found to have been removed
   * concurrently with the epoch it wrote under is not shown, nor its reactions and pins.
   */
  private hiddenTest(conv: ConvId): (entry: { readonly segment: DocId; readonly id: string; readonly author: DeviceId }) => boolean {
    const me = this.deps.identity.deviceId
    const team = this.deps.team()
    // One answer per (epoch, author) while the window is listed: it is asked for every message.
    const known = new Map<string, boolean>()
    return ({ segment, id, author }) => {
      const epoch = author === me ? undefined : this.deps.epochs.epochOf(conv, segment, id)
      if (epoch === undefined || !team) return false
      const key = `${epoch} ${author}`
      let hidden = known.get(key)
      if (hidden === undefined) known.set(key, (hidden = team.memberOfEpoch(conv, epoch, hexOf(author)) === false))
      return hidden
    }
  }

  /**
   * [M56] The messages `list` shows (not hidden, not expired, not a scanner's verdicts alone) that
   * come after `after` in display order, unsorted and not folded: what an unread count needs, in
   * one pass with no copies (counting through `list` folded the whole window at every arrival).
   * `skip`: authors left out before anything else is looked at (this person's own devices, whose
   * messages never count: a sender's own burst was otherwise tested for expiry and hiding whole).
   */
  shownAfter(conv: ConvId, after: { readonly ts: number; readonly id: string } | undefined, skip?: (author: MessageView['author']) => boolean): Iterable<MessageView> {
    return this.shownAmong(conv, this.deps.segs.views(conv), after, skip)
  }

  /** [M56] The same test as `shownAfter`, over `messages` (of the conversation's window) only. */
  *shownAmong(conv: ConvId, messages: Iterable<MessageView>, after: { readonly ts: number; readonly id: string } | undefined, skip?: (author: MessageView['author']) => boolean): Iterable<MessageView> {
    const hiddenOf = this.hiddenTest(conv)
    const orgMax = orgMaxOf(this.deps.team(), conv)
    const now = this.deps.clock.wallNow()
    for (const v of messages) {
      if (after && (v.ts < after.ts || (v.ts === after.ts && v.id <= after.id))) continue
      if (skip?.(v.author) || isExpired(expiryOf(v, orgMax), now) || verdictOnly(v) || hiddenOf(v)) continue
      yield v
    }
  }

  /** Messages of the loaded segments in display order (timestamp, id). */
  list(conv: ConvId, opts: { withHidden?: boolean } = {}): DisplayMessage[] {
    const me = this.deps.identity.deviceId
    // Every device of the directory, removed people too: what they wrote keeps its author's name.
    const team = this.deps.team()
    const names = team?.deviceNames(conv) ?? new Map()
    const hiddenOf = this.hiddenTest(conv)
    const out: DisplayMessage[] = []
    // [M67] Expired messages are not shown (nor, folded below, their reactions, pins and quotes).
    const orgMax = orgMaxOf(team, conv)
    const now = this.deps.clock.wallNow()
    for (const v of this.deps.segs.views(conv)) {
      const exp = expiryOf(v, orgMax)
      if (isExpired(exp, now)) continue
      const m = exp === undefined ? v : { ...v, exp }
      // [A4] A scanner's verdicts are shown beside the files they are about, not as a message.
      if (verdictOnly(m)) continue
      const hidden = hiddenOf(m)
      if (hidden && !opts.withHidden) continue
      out.push({ ...m, authorName: names.get(m.author) ?? `Device ${m.author.slice(0, 6)}`, mine: m.author === me, pending: this.deps.pending.has(m.tag), ...(hidden ? { hidden: true as const } : {}) })
    }
    const actions = [...this.deps.segs.actions(conv)].filter((a) => !hiddenOf(a))
    const user = team?.userOfDevice(conv, me)
    const myMentions = new Set([hexOf(me), ...(user ? [user] : [])])
    return fold(out.sort(compareMessages), actions, { me, names, myMentions })
  }

  /**
   * [M45] The shown messages a scan's changes alter: those edited or deleted, those whose
   * reactions or pin changed, and the replies that quote an edited or deleted one.
   */
  updated(conv: ConvId, c: SegmentChanges): DisplayMessage[] {
    if (!c.updated.length && !c.actions.length) return []
    const shown = this.list(conv)
    const resolve = targetResolver(shown)
    const changed = new Set(c.updated.map((m) => m.ref))
    const refs = new Set([...changed, ...c.actions.flatMap((a) => resolve(a.target, a.targetSeg)?.ref ?? [])])
    const quotesChanged = (m: DisplayMessage) => {
      const answered = m.replyTo === undefined ? undefined : resolve(m.replyTo, m.replySeg)
      return answered !== undefined && changed.has(answered.ref)
    }
    return shown.filter((m) => refs.has(m.ref) || quotesChanged(m))
  }

  /** Resolves once the message is in the outbox; messages are written in the order sent. */
  send(conv: ConvId, text: string, opts: SendOptions & { fwd?: boolean } = {}): Promise<MessageView> {
    const mentions = opts.mentions?.length ? [...new Set(opts.mentions)] : undefined
    // A malformed mention is a programmer error (the UI picks them from the directory).
    if (mentions && (mentions.length > MAX_MENTIONS || mentions.some((x) => !mentionSchema.safeParse(x).success))) return Promise.reject(new Error('malformed mentions'))
    // A reply names a ref ([M15]): anything else is a programmer error, refused before anything is written.
    if (opts.replyTo !== undefined && !parseMessageRef(opts.replyTo)) return Promise.reject(new Error('malformed replyTo: not a message ref'))
    return this.write(conv, { text, ...(opts.replyTo ? { replyTo: opts.replyTo } : {}), ...(mentions ? { mentions } : {}), ...(opts.fwd ? { fwd: true } : {}) })
  }

  /**
   * [A2] Writes a message: its text (a caption may be empty when files are attached), and for
   * a finished upload its files, tag and the time the person sent it. A tag already written in
   * the conversation's newest segment is not written again (the upload's Invariant 2).
   * A scanner device writes its verdicts ([A4]) with no text.
   */
  write(conv: ConvId, m: WriteInput): Promise<MessageView> {
    const body = m.text.replace(/\r\n/g, '\n').trim()
    if (!body && !m.files?.length && !m.verdicts?.length) return Promise.reject(new ClientError(ClientErrorCode.MESSAGE_EMPTY))
    // A malformed verdict is a programmer error: refused before anything is written.
    if ((m.verdicts?.length ?? 0) > MAX_VERDICTS_PER_MESSAGE || m.verdicts?.some((v) => !isVerdict(v))) return Promise.reject(new Error('malformed scan verdicts'))
    if (body.length > MAX_MESSAGE_CHARS) return Promise.reject(new ClientError(ClientErrorCode.MESSAGE_TOO_LONG))
    if (!this.deps.registry.get(conv)) return Promise.reject(new ClientError(ClientErrorCode.UNKNOWN_CONVERSATION))
    // [M14a] A message the person sends (no tag, no time of its own) waits for the writes already
    // under way and goes with every other one sent meanwhile: one change call, one outbox write.
    if (m.tag === undefined && m.ts === undefined) {
      return new Promise<MessageView>((resolve, reject) => {
        this.queued.push({ conv, m, body, resolve, reject })
        if (this.queued.length === 1) void this.serial(() => this.writeQueued())
      })
    }
    return this.serial(async () => {
      const segment = await this.deps.layout.writableSegment(conv)
      if (m.tag) {
        for (const v of this.deps.segs.views(conv)) if (v.tag === m.tag && v.author === this.deps.identity.deviceId) return v
      }
      const [view] = await this.commit(conv, segment, [{ m, body, tag: m.tag ?? newMessageId(), ts: m.ts ?? this.deps.clock.now() }])
      return view!
    })
  }

  /**
   * [M14a] Writes the messages queued so far, in the order sent: each its own record (its own id),
   * a run of one conversation's as one Automerge change, made in one document update and queued
   * in the outbox with one write (the bot burst of issue 11: 10,000 sends not awaited one by one).
   * A run stops at the segment's capacity, at BATCH_MESSAGES and at RUN_BYTES.
   */
  private async writeQueued(): Promise<void> {
    const items = this.queued.splice(0)
    let at = 0
    while (at < items.length) {
      const conv = items[at]!.conv
      let segment: DocId
      try {
        segment = await this.deps.layout.writableSegment(conv)
      } catch (err) {
        for (; at < items.length && items[at]!.conv === conv; at++) items[at]!.reject(err)
        continue
      }
      const room = Math.max(1, Math.min(BATCH_MESSAGES, this.deps.layout.roomIn(segment)))
      const run: Queued[] = []
      // A run is one change, and a change goes whole in one envelope (at most 512 KiB, outbox.ts):
      // runs of long messages stop at RUN_BYTES.
      let bytes = 0
      while (at < items.length && items[at]!.conv === conv && run.length < room) {
        const size = recordBytes(items[at]!)
        if (run.length && bytes + size > RUN_BYTES) break
        bytes += size
        run.push(items[at++]!)
      }
      try {
        const views = await this.commit(conv, segment, run.map((q) => ({ m: q.m, body: q.body, tag: newMessageId(), ts: this.deps.clock.now() })))
        run.forEach((q, i) => q.resolve(views[i]!))
      } catch (err) {
        for (const q of run) q.reject(err)
      }
    }
  }

  /** One change for the messages of a run (one message alone included); the views of what was written. */
  private async commit(conv: ConvId, segment: DocId, list: readonly { m: WriteInput; body: string; tag: string; ts: number }[]): Promise<MessageView[]> {
    for (const x of list) this.deps.pending.add(x.tag)
    const replies = list.map(({ m }) => this.replyOf(conv, m.replyTo))
    // [M66] Each message's `exp` from the timer at its send time (a file message: when the person
    // sent it); a new segment gets a copy of the timer with its first message.
    const exps = list.map((x) => this.timers.expOf(conv, x.ts))
    const carry = this.timers.carryInto(conv, segment)
    const records = list.map(({ m, body, tag, ts }, i) => {
      const rec: MessageRecord = { id: new A.ImmutableString(tag), ts, text: new A.ImmutableString(body) }
      const reply = replies[i]
      if (reply) rec.replyTo = new A.ImmutableString(reply.id)
      if (reply?.seg) rec.replySeg = new A.ImmutableString(reply.seg)
      if (m.files?.length) rec.files = m.files.map(fileRecord)
      if (m.verdicts?.length) rec.verdicts = m.verdicts.map(verdictRecord)
      if (m.mentions?.length) rec.mentions = m.mentions.map((x) => new A.ImmutableString(x))
      if (m.fwd) rec.fwd = true
      if (exps[i] !== undefined) rec.exp = exps[i]
      return rec
    })
    const tags = list.map((x) => x.tag)
    // One change for the run: the records inserted with one splice (finding the list's end once,
    // not once per message), then the timer a new segment carries. Each message's id is its
    // insert's op id ([M20]), the id of the object it created, read from the document the change
    // made (decoding the change again for them was a tenth of a bot burst's writing, reading them
    // through the change's proxies most of that).
    // [M3b] Without a timer to carry, the records go in on Automerge's backend (no update of
    // the JavaScript document per field), and their ids come with the change.
    const made = carry ? undefined : await this.deps.append(conv, segment, records, tags, list[0]!.ts)
    let at = 0
    let ids: string[] = made?.ids ?? []
    const changes = made ? [made.change] : await this.deps.change(conv, segment, [(d: SegmentDoc) => {
      at = d.messages.length
      d.messages.push(...records)
      carry?.(d)
    }], tags, list[0]!.ts, undefined, (doc) => (ids = records.map((_, i) => A.getObjectId(doc.messages[at + i]!) ?? '')))
    // Cannot happen (the change is made right above); if it did, the change is already queued and
    // goes out: the sends fail loudly rather than resolve with ids that are not theirs.
    if (changes.length !== 1 || ids.length !== list.length || ids.some((id) => !id.endsWith(`@${this.deps.identity.actor}`))) throw new Error('the run\'s change does not hold one new message per send')
    this.deps.emitStatus()
    return list.map(({ m, body, tag, ts }, i) => {
      const id = ids[i]!
      const reply = replies[i]
      const replied = reply ? { replyTo: reply.id, ...(reply.seg ? { replySeg: reply.seg, replyRef: refOf(reply.seg, reply.id) } : {}) } : {}
      return {
        id, ref: refOf(segment, id), tag, segment, author: this.deps.identity.deviceId, ts, text: body, ...replied, ...(m.files?.length ? { files: m.files } : {}),
        ...(m.verdicts?.length ? { verdicts: m.verdicts } : {}), ...(m.mentions?.length ? { mentions: [...m.mentions] } : {}), ...(m.fwd ? { fwd: true as const } : {}),
        ...(exps[i] !== undefined ? { exp: exps[i] } : {}),
      }
    })
  }

  /** [M47] What a reply stores: the object id, and its segment (always, for a ref). */
  private replyOf(conv: ConvId, replyTo: string | undefined): { id: string; seg?: DocId } | undefined {
    if (!replyTo) return undefined
    const at = parseMessageRef(replyTo)
    if (at) return { id: at.id, seg: at.segment }
    if (!OBJECT_ID.test(replyTo)) return undefined
    const m = targetResolver([...this.deps.segs.views(conv)])(replyTo, undefined)
    return m ? { id: m.id, seg: m.segment } : { id: replyTo }
  }
}
