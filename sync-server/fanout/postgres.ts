import { randomBytes, toBase64Url, toHex } from '../../crypto/verify.js'
import type { Logger } from '../log.js'
import type { ChangeStore } from '../store/ChangeStore.js'
import type { Pool } from '../store/postgresPool.js'
import type { Subscriber } from '../hub.js'
import type { Fanout, FanoutTargets, JoinedPeer, MailRecipient, PostedMailLive } from './Fanout.js'
import { NoticeListener } from './listener.js'
import { localFanout, relayAll, revokeAll } from './local.js'
import type { MailboxIndex } from './mailboxIndex.js'
import { envelopesNotice, mailNotices, parseNotice, rekeyNotice, signalNotice, type Notice } from './notice.js'

/**
 * [S21] Fan-out across the instances of one PostgreSQL store. Each event is delivered here at
 * once (as localFanout does) and told to the others with NOTIFY on the store's channel, after its
 * write committed; notices carry no payload (notice.ts). A receiving instance reads what it needs
 * from the store — envelopes by sseq range, mail items by id — only when one of its own
 * connections wants them, and hands them to the same delivery as local events.
 *
 * Order: notices leave one at a time from one queue (batched while one is in flight), so an
 * instance's notices arrive in the order it sent them. Envelopes of one document may still reach
 * a subscriber out of order across instances (a local push delivered before a remote one that
 * committed just before it); the subscriber sees the gap in sseqs and reads it from the store
 * (connection.ts `refill`). Mail and rotations from other instances are handled one after the
 * other in arrival order, so a rotation's bundles reach a device before the revocation that
 * follows them, as on one instance.
 *
 * While the LISTEN connection is down this instance would miss notices — envelopes, mail and,
 * worst, revocations — so on `onHearing(false)` server.ts closes every device connection and
 * refuses new ones until it listens again; devices reconnect, to this instance or another,
 * resume from their cursors, read their mailboxes and join again.
 */
export interface PostgresFanoutOptions {
  readonly url: string
  readonly channel: string
  readonly pool: Pool
  readonly store: Pick<ChangeStore, 'read' | 'readMailItems'>
  readonly targets: FanoutTargets & { readonly mailboxes: MailboxIndex<MailRecipient> }
  readonly log: Logger
  /** The LISTEN connection dropped (false) or is back (true). */
  readonly onHearing: (listening: boolean) => void
}

const READ_PAGE = 500

export class PostgresFanout implements Fanout {
  /** Names this instance's notices, so it skips its own. */
  private readonly instance = toHex(randomBytes(8))
  private readonly local: Fanout
  private readonly outbox: string[] = []
  private sending = false
  /** Envelope notices are read per document, in order; mail and rotations one after the other. */
  private readonly docChains = new Map<string, Promise<void>>()
  private inOrder: Promise<void> = Promise.resolve()
  private listener: NoticeListener | undefined

  private constructor(private readonly o: PostgresFanoutOptions) {
    this.local = localFanout(o.targets)
  }

  static async start(o: PostgresFanoutOptions): Promise<PostgresFanout> {
    const fanout = new PostgresFanout(o)
    fanout.listener = await NoticeListener.start({ url: o.url, channel: o.channel, log: o.log, onNotice: (p) => fanout.heard(p), onState: o.onHearing })
    return fanout
  }

  get listening(): boolean {
    return this.listener?.isListening ?? false
  }

  envelopes(conv: Uint8Array, doc: Uint8Array, items: { sseq: number; env: Uint8Array }[], from?: Subscriber): void {
    this.local.envelopes(conv, doc, items, from)
    if (items.length) this.tell([envelopesNotice(this.instance, conv, doc, items[0]!.sseq, items[items.length - 1]!.sseq)])
  }

  mail(post: PostedMailLive): void {
    this.local.mail(post)
    this.tell(mailNotices(this.instance, post.dests, post.ids))
  }

  rekey(conv: Uint8Array, from?: JoinedPeer): void {
    this.local.rekey(conv, from)
    this.tell([rekeyNotice(this.instance, conv)])
  }

  /**
   * [S48] A signal reaches the other instances' joined connections in its notice (it is stored
   * nowhere to be read back from): the sealed body passes through PostgreSQL's notification queue.
   */
  signal(conv: Uint8Array, body: Uint8Array, from?: JoinedPeer): void {
    this.local.signal(conv, body, from)
    this.tell([signalNotice(this.instance, conv, body)])
  }

  async close(): Promise<void> {
    await this.listener?.close()
  }

  /** Sends notices in order: one statement at a time, with all that queued meanwhile. */
  private tell(payloads: string[]): void {
    this.outbox.push(...payloads)
    if (this.sending) return
    this.sending = true
    void (async () => {
      while (this.outbox.length) {
        const batch = this.outbox.splice(0, 1000)
        try {
          await this.o.pool.query('SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p', [this.o.channel, batch])
        } catch (err) {
          // The writes committed; other instances' devices get them with the next notice of
          // the document (they see the gap) or when they reconnect.
          this.o.log.warn({ code: 'S122_NOTICE_NOT_SENT', notices: batch.length, err: (err as Error).message }, 'notices to other instances not sent')
        }
      }
      this.sending = false
    })()
  }

  private heard(payload: string): void {
    const notice = parseNotice(payload)
    if (!notice) return void this.o.log.warn({ code: 'S123_BAD_NOTICE', bytes: payload.length }, 'notice dropped: it does not parse')
    if (notice.instance === this.instance) return
    // [S48] At once, beside the ordered work: a signal needs no read, and is dropped where nobody is joined.
    if (notice.kind === 'signal') return relayAll(this.o.targets, notice.conv, notice.body)
    const fail = (err: unknown) => this.o.log.error({ code: 'S124_NOTICE_FAILED', kind: notice.kind, err: (err as Error).message }, 'notice not delivered')
    if (notice.kind === 'envelopes') {
      if (!this.o.targets.hub.has(notice.conv, notice.doc)) return
      const key = toBase64Url(notice.conv) + toBase64Url(notice.doc)
      const next = (this.docChains.get(key) ?? Promise.resolve()).then(() => this.readEnvelopes(notice)).catch(fail)
      this.docChains.set(key, next)
      void next.then(() => this.docChains.get(key) === next && this.docChains.delete(key))
      return
    }
    this.inOrder = this.inOrder.then(() => (notice.kind === 'mail' ? this.readMail(notice) : this.revoke(notice))).catch(fail)
  }

  private async readEnvelopes(n: Extract<Notice, { kind: 'envelopes' }>): Promise<void> {
    for (let after = n.first - 1; after < n.last; ) {
      if (!this.o.targets.hub.has(n.conv, n.doc)) return
      // Beyond `last` are other pushes' envelopes, which their own notices bring.
      const page = (await this.o.store.read(n.conv, n.doc, after, Math.min(READ_PAGE, n.last - after))).filter((e) => e.sseq <= n.last)
      if (page.length === 0) return // pruned by a snapshot meanwhile: nothing to hand out
      this.o.targets.hub.publish(n.conv, n.doc, page.map((e) => ({ sseq: e.sseq, env: e.bytes })))
      after = page[page.length - 1]!.sseq
    }
  }

  private async readMail(n: Extract<Notice, { kind: 'mail' }>): Promise<void> {
    for (const box of n.boxes) {
      const connections = this.o.targets.mailboxes.byDestination(toHex(box.dest))
      if (!connections?.size) continue
      const items = await this.o.store.readMailItems(box.dest, box.ids)
      if (items.length) for (const c of connections) c.sendMail(items)
    }
  }

  private revoke(n: Extract<Notice, { kind: 'rekey' }>): void {
    revokeAll(this.o.targets, toBase64Url(n.conv))
  }
}
