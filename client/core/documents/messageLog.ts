import * as A from '@automerge/automerge'
import type { ConvId, DocId } from '../../../protocol/index.js'
import { ClientError, ClientErrorCode } from '../errors.js'
import type { HybridClock } from './hlc.js'
import type { Identity } from '../identity.js'
import { newMessageId } from '../ids.js'
import type { ConversationLayout } from './layout.js'
import { MAX_MESSAGE_CHARS, compareMessages, type MessageRecord, type MessageView, type SegmentDoc } from './model.js'
import type { Registry } from '../conversations/registry.js'
import type { SegmentWindow } from './segmentWindow.js'
import type { Team } from '../team/team.js'
import type { MessageEpochs } from './messageEpochs.js'
import { idBytes, type DeviceId } from '../../../protocol/index.js'
import { toHex } from '../../../crypto/index.js'
import { fileRecord, type FileRef } from '../files/ref.js'
import { MAX_VERDICTS_PER_MESSAGE, isVerdict, verdictOnly, verdictRecord, type ScanVerdict } from '../scanner/verdict.js'

export interface DisplayMessage extends MessageView {
  readonly authorName: string
  readonly mine: boolean
  readonly pending: boolean
  /** [M26] Written under an epoch its author was not a member device of; listed only when asked (`withHidden`). */
  readonly hidden?: true
}

export interface MessageLogDeps {
  readonly registry: Registry
  readonly layout: ConversationLayout
  readonly segs: SegmentWindow
  readonly clock: HybridClock
  readonly identity: Identity
  readonly team: () => Team | undefined
  /** [M26] The epoch each received message was written under. */
  readonly epochs: MessageEpochs
  /** Tags of this device's messages not delivered yet. */
  readonly pending: Set<string>
  /** Makes a local change to a segment and queues it in the outbox with the messages it carries. */
  readonly change: (conv: ConvId, doc: DocId, fns: A.ChangeFn<SegmentDoc>[], msgIds: string[], ts: number) => Promise<Uint8Array[]>
  readonly emitStatus: () => void
}

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

  constructor(private readonly deps: MessageLogDeps) {}

  /** Settles once every message sent so far is in the outbox (or refused). */
  get settled(): Promise<unknown> {
    return this.sendChain
  }

  /** Messages of the loaded segments in display order (timestamp, id). */
  list(conv: ConvId, opts: { withHidden?: boolean } = {}): DisplayMessage[] {
    const me = this.deps.identity.deviceId
    // Every device of the directory, removed people too: what they wrote keeps its author's name.
    const team = this.deps.team()
    const names = team?.deviceNames(conv) ?? new Map()
    const out: DisplayMessage[] = []
    for (const m of this.deps.segs.views(conv)) {
      // [A4] A scanner's verdicts are shown beside the files they are about, not as a message.
      if (verdictOnly(m)) continue
      // [M26] checked again against the membership as it is now: a device found to have been
      // removed concurrently with the epoch it wrote under is not shown.
      const epoch = m.author === me ? undefined : this.deps.epochs.epochOf(conv, m.id)
      const hidden = epoch !== undefined && team?.memberOfEpoch(conv, epoch, hexOf(m.author)) === false
      if (hidden && !opts.withHidden) continue
      out.push({ ...m, authorName: names.get(m.author) ?? `Device ${m.author.slice(0, 6)}`, mine: m.author === me, pending: this.deps.pending.has(m.tag), ...(hidden ? { hidden: true as const } : {}) })
    }
    return out.sort(compareMessages)
  }

  /** Resolves once the message is in the outbox; messages are written in the order sent. */
  send(conv: ConvId, text: string, replyTo?: string): Promise<MessageView> {
    return this.write(conv, { text, ...(replyTo ? { replyTo } : {}) })
  }

  /**
   * [A2] Writes a message: its text (a caption may be empty when files are attached), and for
   * a finished upload its files, tag and the time the person sent it. A tag already written in
   * the conversation's newest segment is not written again (the upload's Invariant 2).
   * A scanner device writes its verdicts ([A4]) with no text.
   */
  write(conv: ConvId, m: { text: string; replyTo?: string; files?: readonly FileRef[]; verdicts?: readonly ScanVerdict[]; tag?: string; ts?: number }): Promise<MessageView> {
    const body = m.text.replace(/\r\n/g, '\n').trim()
    if (!body && !m.files?.length && !m.verdicts?.length) return Promise.reject(new ClientError(ClientErrorCode.MESSAGE_EMPTY))
    // A malformed verdict is a programmer error: refused before anything is written.
    if ((m.verdicts?.length ?? 0) > MAX_VERDICTS_PER_MESSAGE || m.verdicts?.some((v) => !isVerdict(v))) return Promise.reject(new Error('malformed scan verdicts'))
    if (body.length > MAX_MESSAGE_CHARS) return Promise.reject(new ClientError(ClientErrorCode.MESSAGE_TOO_LONG))
    if (!this.deps.registry.get(conv)) return Promise.reject(new ClientError(ClientErrorCode.UNKNOWN_CONVERSATION))
    const replyTo = m.replyTo
    const run = async (): Promise<MessageView> => {
      const segment = await this.deps.layout.writableSegment(conv)
      if (m.tag) {
        for (const v of this.deps.segs.views(conv)) if (v.tag === m.tag && v.author === this.deps.identity.deviceId) return v
      }
      const tag = m.tag ?? newMessageId()
      const ts = m.ts ?? this.deps.clock.now()
      this.deps.pending.add(tag)
      const [change] = await this.deps.change(conv, segment, [
        (d: SegmentDoc) => {
          const rec: MessageRecord = { id: new A.ImmutableString(tag), ts, text: new A.ImmutableString(body) }
          if (replyTo) rec.replyTo = new A.ImmutableString(replyTo)
          if (m.files?.length) rec.files = m.files.map(fileRecord)
          if (m.verdicts?.length) rec.verdicts = m.verdicts.map(verdictRecord)
          d.messages.push(rec)
        },
      ], [tag], ts)
      this.deps.emitStatus()
      // The message object is the change's first op: its id is startOp@actor.
      const id = `${A.decodeChange(change!).startOp}@${this.deps.identity.actor}`
      return { id, tag, segment, author: this.deps.identity.deviceId, ts, text: body, ...(replyTo ? { replyTo } : {}), ...(m.files?.length ? { files: m.files } : {}), ...(m.verdicts?.length ? { verdicts: m.verdicts } : {}) }
    }
    const result = this.sendChain.then(run)
    this.sendChain = result.catch(() => undefined)
    return result
  }
}
