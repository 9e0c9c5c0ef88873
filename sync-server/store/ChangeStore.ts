/**
 * Where the blind server keeps envelopes. Everything here is opaque bytes plus the public header
 * fields the server may see (ARCHITECTURE §7). Every implementation runs tests/sync-server/
 * changeStore.contract.ts.
 *
 * Key invariants (cited where enforced):
 *  1. An append resolves only after its envelopes are durable; the ack follows it.
 *  2. (doc, device, seq) names at most one envelope: a byte-identical repeat returns the stored
 *     sseq; different bytes are an equivocation and are refused.
 *  3. Per (doc, device), seq is gap-free from 1 and prev is the hash of seq - 1.
 *  4. sseq is per document, starts at 1, strictly increasing, never reused.
 *  5. A document belongs to exactly one conversation, fixed by its first envelope.
 *  6. A snapshot (kind 2) of a device's own log 1..seq is kept only if envelope seq is stored
 *     with hash = its prev; it then replaces that device's envelopes ≤ seq, which are deleted
 *     (pruning). Later repeats of pruned envelopes are acked as duplicates. A reader whose
 *     cursor is below the highest pruned sseq gets the snapshot before the backlog.
 */
export interface StoredConv {
  readonly capPublic: Uint8Array
  readonly epoch: number
  /** The admin capability that may rotate `capPublic` ([S10]); absent for conversations without admins. */
  readonly admin?: Uint8Array
}

export interface AppendItem {
  /** 1: change batch; 2: snapshot of the device's own log up to `seq` (invariant 6). */
  readonly kind: 1 | 2
  readonly conv: Uint8Array
  readonly doc: Uint8Array
  readonly device: Uint8Array
  readonly seq: number
  readonly prev: Uint8Array
  readonly hash: Uint8Array
  readonly bytes: Uint8Array
}

export type AppendResult =
  | { readonly ok: true; readonly sseq: number; readonly duplicate: boolean }
  | { readonly ok: false; readonly reason: 'seq-gap' | 'chain-broken' | 'equivocation' | 'wrong-conv' }

export interface StoredEnvelope {
  readonly sseq: number
  readonly bytes: Uint8Array
}

export interface ChangeStore {
  getConv(conv: Uint8Array): Promise<StoredConv | undefined>
  /** Registers the conversation's capability if it has none; returns what is stored afterwards. */
  registerConv(conv: Uint8Array, capPublic: Uint8Array, epoch: number, admin?: Uint8Array): Promise<StoredConv>
  /** Replaces the capability, epoch and admin key of a registered conversation (after [S10] checks). */
  rekeyConv(conv: Uint8Array, capPublic: Uint8Array, epoch: number, admin: Uint8Array): Promise<void>
  /** Appends in one durable transaction; results are in input order (invariants 1–5). */
  append(items: readonly AppendItem[]): Promise<AppendResult[]>
  /** Envelopes of `doc` with sseq > after, ascending, at most `limit`; none if `doc` belongs to another conversation. */
  read(conv: Uint8Array, doc: Uint8Array, after: number, limit: number): Promise<StoredEnvelope[]>
  /** Snapshots of `doc` that replace envelopes with sseq > after (invariant 6). */
  snapshots(conv: Uint8Array, doc: Uint8Array, after: number): Promise<Uint8Array[]>
  /** [S11] Appends items to a device's mailbox; refuses (undefined) when it would exceed `limit`. */
  postMail(to: Uint8Array, from: Uint8Array, bodies: readonly Uint8Array[], limit: number): Promise<number[] | undefined>
  readMail(to: Uint8Array, limit: number): Promise<{ id: number; from: Uint8Array; body: Uint8Array }[]>
  /** Deletes items of `to`'s mailbox (ids addressed to another device are ignored). */
  deleteMail(to: Uint8Array, ids: readonly number[]): Promise<void>
  close(): Promise<void>
}
