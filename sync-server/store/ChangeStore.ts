/**
 * Where the blind server keeps envelopes. A chain is a pseudonymous author key per conversation and
 * epoch (crypto [E13]); the store never holds a device key for an envelope. Everything here is opaque bytes plus the public header
 * fields the server may see (ARCHITECTURE §7). Every implementation runs tests/sync-server/
 * changeStore.contract.ts.
 *
 * Key invariants (cited where enforced):
 *  1. An append resolves only after its envelopes are durable; the ack follows it.
 *  2. (doc, chain, seq) names at most one envelope: a byte-identical repeat returns the stored
 *     sseq; different bytes are an equivocation and are refused.
 *  3. Per (doc, chain), seq is gap-free from 1 and prev is the hash of seq - 1.
 *  4. sseq is per document, starts at 1, strictly increasing, never reused.
 *  5. A document belongs to exactly one conversation, fixed by its first envelope.
 *  6. A snapshot (kind 2) of a chain's own log 1..seq is kept only if envelope seq is stored
 *     with hash = its prev; it then replaces that chain's envelopes ≤ seq, which are deleted
 *     (pruning). Later repeats of pruned envelopes are acked as duplicates. A reader whose
 *     cursor is below the highest pruned sseq gets the snapshot before the backlog.
 *  7. [S11] A mail post is all or nothing: if any recipient's mailbox would exceed the limit,
 *     nothing is stored for anyone. Each item body is stored once however many devices it is
 *     addressed to, and is deleted with the last mailbox entry that refers to it.
 *  8. [S11] Decoy rows leave in step with reads: a read that leaves `r` real rows of an item
 *     with `d` decoy rows takes `ceil(d/(r+1))` decoys with it (all of them when r = 0), so an
 *     item keeps about `fanout·r/n` rows while `r` of its `n` recipients have not read it, and
 *     none once all have.
 *  9. [S56] A document's keep-until day moves only later: a newly stored envelope (not a repeat,
 *     not refused, not a snapshot, which is acked as a repeat) with keep 0 makes its document
 *     forever, for good; one with a day makes it max(stored, day) unless it is forever. A
 *     document stored with no day, or before keep-until days existed, is forever: only
 *     documents with a day have a keep row.
 * 10. [S56] A dropped document stays dropped: its envelopes, snapshots, chain heads and keep
 *     row go in one transaction and a tombstone (conversation, document) stays; every later
 *     append to it is refused ('dropped'), and reads of it return nothing.
 */
/** [S11] How long an item waits in a mailbox before the server deletes it unread. */
export const MAIL_TTL_DAYS = 90
/** Days since the epoch: mail expiry is kept to the day. */
export const dayOf = (ms: number): number => Math.floor(ms / 86_400_000)

export interface StoredConv {
  readonly capPublic: Uint8Array
  readonly epoch: number
  /** The admin capability that may rotate `capPublic` ([S10]); absent for conversations without admins. */
  readonly admin?: Uint8Array
}

export interface AppendItem {
  /** 1: change batch; 2: snapshot of the chain's own log up to `seq` (invariant 6). */
  readonly kind: 1 | 2
  readonly conv: Uint8Array
  readonly doc: Uint8Array
  /** The envelope's pseudonymous chain key (crypto [E13]): never a device key. */
  readonly chain: Uint8Array
  readonly seq: number
  readonly prev: Uint8Array
  readonly hash: Uint8Array
  readonly bytes: Uint8Array
  /** [S56] The day (dayOf, UTC) until which the document must be kept; 0 or absent: forever (invariant 9). */
  readonly keep?: number
}

export type AppendResult =
  | { readonly ok: true; readonly sseq: number; readonly duplicate: boolean }
  | { readonly ok: false; readonly reason: 'seq-gap' | 'chain-broken' | 'equivocation' | 'wrong-conv' | 'dropped' }

export interface StoredEnvelope {
  readonly sseq: number
  readonly bytes: Uint8Array
}

/** The outcome of a stored mail post (invariant 7). */
export interface PostedMail {
  /** Per item, in input order: the id of its one stored body. */
  readonly items: number[]
  /** Per recipient, in `to` order: its mailbox ids, one per item, in item order. */
  readonly ids: number[][]
}

export interface MailItem {
  readonly id: number
  readonly body: Uint8Array
  /** The rows the item was posted with (recipients and decoys). */
  readonly fanout: number
}

/** [S11] For an item read (by row id and its fanout): the destinations (hex) of the decoy pool it was posted with. */
export type DecoyPools = (id: number, fanout: number) => ReadonlySet<string> | undefined

export interface ChangeStore {
  getConv(conv: Uint8Array): Promise<StoredConv | undefined>
  /** Registers the conversation's capability if it has none; returns what is stored afterwards. */
  registerConv(conv: Uint8Array, capPublic: Uint8Array, epoch: number, admin?: Uint8Array): Promise<StoredConv>
  /** Replaces the capability, epoch and admin key of a registered conversation (after [S10] checks). */
  /**
   * Compare-and-swap ([S10]): replaces them only while the conversation is still at epoch `from`;
   * false, changing nothing, when it has moved (another rotation committed first, on this
   * instance or another) or is not registered.
   */
  rekeyConv(conv: Uint8Array, capPublic: Uint8Array, epoch: number, admin: Uint8Array, from: number): Promise<boolean>
  /** Appends in one durable transaction; results are in input order (invariants 1–5). */
  append(items: readonly AppendItem[]): Promise<AppendResult[]>
  /** Envelopes of `doc` with sseq > after, ascending, at most `limit`; none if `doc` belongs to another conversation. */
  read(conv: Uint8Array, doc: Uint8Array, after: number, limit: number): Promise<StoredEnvelope[]>
  /** Snapshots of `doc` that replace envelopes with sseq > after (invariant 6). */
  snapshots(conv: Uint8Array, doc: Uint8Array, after: number): Promise<Uint8Array[]>
  /**
   * [S11] Adds every body to every destination in `to` and `decoys` (row destinations, crypto
   * [K8]: all distinct, else it throws; no sender is kept), in one durable transaction;
   * undefined, storing nothing, when any mailbox of `to` would exceed `limit` (invariant 7;
   * decoys are not limited). `ids` are given for `to`, then `decoys`.
   */
  postMail(to: readonly Uint8Array[], bodies: readonly Uint8Array[], limit: number, now?: number, decoys?: readonly Uint8Array[]): Promise<PostedMail | undefined>
  /** The oldest `limit` items of `to`'s mailbox, ascending id. */
  readMail(to: Uint8Array, limit: number): Promise<MailItem[]>
  /**
   * [S21] The items of `to`'s mailbox among `ids` (at most 1,000), ascending id; ids addressed to
   * another destination, or already deleted, are left out. Live delivery on another instance
   * than the one the post arrived at reads the items a notice names this way.
   */
  readMailItems(to: Uint8Array, ids: readonly number[]): Promise<MailItem[]>
  /**
   * Deletes items of `to`'s mailbox (ids addressed to another destination are ignored). For an
   * item with a pool in `pools`, its decoy rows (destinations in the pool) go in step with the
   * reads (invariant 8): when `r` real rows remain, `ceil(d / (r + 1))` of its `d` decoy rows go
   * with this one, chosen at random, and all of them with the last.
   */
  deleteMail(to: Uint8Array, ids: readonly number[], pools?: DecoyPools): Promise<void>
  /** Diagnostics: how many distinct mail bodies are stored (invariant 7). */
  mailBodies(): Promise<number>
  /**
   * [S19] Mailbox rows waiting to be read, decoy rows included (the server cannot tell them
   * apart). May count the whole table: /metrics asks at most every 10 s, never per frame.
   */
  mailDepth(): Promise<number>
  /**
   * [S7] Resolves if a write would succeed now; rejects otherwise (closed, locked by another
   * process, a failing disk or database connection). Leaves nothing behind that tells anything
   * about users. /healthz and /readyz ask it at most once a second.
   */
  checkWritable(): Promise<void>
  /**
   * [S11] Deletes mailbox entries older than MAIL_TTL_DAYS (to the day) at `now`, and bodies no
   * entry refers to any more; returns how many entries went. Decoy recipients ([M27]) never
   * read their mail: this is what removes it.
   */
  expireMail(now: number): Promise<number>
  /**
   * [S56] Drops every document whose keep-until day is before `today` (dayOf of the server's
   * clock), each in one transaction (invariant 10); returns how many went. Run at start and
   * hourly; safe to run on several instances at once.
   */
  dropExpired(today: number): Promise<number>
  close(): Promise<void>
}
