import type { Hub, Subscriber } from '../hub.js'
import type { MailItem } from '../store/ChangeStore.js'

/**
 * [S21] Where the three live events go once their writes have committed: envelopes to the
 * document's subscribers, mail to its recipients' connections, a rotation's revocation to the
 * conversation's other joined connections. `local.ts` reaches this process's connections only
 * (one instance, SQLite); `postgres.ts` also tells every other instance on the same PostgreSQL
 * store, which reads what it needs from the store and delivers it the same way.
 */
export interface Fanout {
  /** New envelopes of (conv, doc), ascending sseq; `from`, the pushing connection, does not get them back ([S5]). */
  envelopes(conv: Uint8Array, doc: Uint8Array, items: { sseq: number; env: Uint8Array }[], from?: Subscriber): void
  /** A mail post that was stored ([S11]): delivered live to every connected recipient. */
  mail(post: PostedMailLive): void
  /** [S10] The conversation's capability was rotated: every joined connection but `from` loses it. */
  rekey(conv: Uint8Array, from?: JoinedPeer): void
  /** [S45] A signal: to every connection joined to the conversation but `from`, at once; stored nowhere. */
  signal(conv: Uint8Array, body: Uint8Array, from?: JoinedPeer): void
  close(): Promise<void>
}

export interface PostedMailLive {
  /** Recipients' mailbox addresses (crypto [K7]), their row destinations ([K8]), and per recipient its ids, in item order. */
  readonly to: readonly Uint8Array[]
  readonly dests: readonly Uint8Array[]
  readonly ids: readonly (readonly number[])[]
  readonly bodies: readonly Uint8Array[]
  readonly fanout: number
}

/** What the fan-out needs of a connection (connection.ts): narrow, so this folder never imports it. */
export interface MailRecipient {
  sendMail(items: MailItem[]): void
}
export interface JoinedPeer {
  revoke(convKey: string): void
  /** [S45][S47] Hands on a signal of a conversation it is joined to, or drops it (a full send buffer). */
  relay(conv: Uint8Array, convKey: string, body: Uint8Array): void
}

/** This process's connections, as connection.ts registers them. */
export interface FanoutTargets {
  readonly hub: Hub
  /** By mailbox address (hex). */
  readonly mailboxes: ReadonlyMap<string, ReadonlySet<MailRecipient>>
  /** By conversation (base64url). */
  readonly joins: ReadonlyMap<string, ReadonlySet<JoinedPeer>>
}
