/**
 * The wire contract: one discriminated union per direction ([P2]). Ids and keys travel as raw
 * bytes; envelopes are opaque byte strings whose public header the server may parse.
 */
/** `mailbox`: this device's mailbox address (crypto [K7]), proven by `mailboxProof` over the same challenge. */
export interface Hello { type: 'hello'; v: number; device: Uint8Array; proof: Uint8Array; mailbox: Uint8Array; mailboxProof: Uint8Array }
/** Prove the epoch capability of a conversation; registers `cap` when the server has none yet. */
/** `origin` (16 B): the creator's origin, so the server can check the id derives from it ([S3], crypto [K6]). */
export interface Join { type: 'join'; conv: Uint8Array; epoch: number; cap: Uint8Array; proof: Uint8Array; admin?: Uint8Array; origin?: Uint8Array }
/** Rotate a conversation's capability to a new epoch, proven with its admin capability ([S10]). */
/** `from`: the epoch the rotating device saw on the server; the server moves only from that one ([S10]). */
export interface Rekey { type: 'rekey'; conv: Uint8Array; from: number; epoch: number; cap: Uint8Array; admin: Uint8Array; proof: Uint8Array }
/**
 * `keep` ([S56]): one entry per envelope, the day (days since 1970-01-01 UTC) until which its
 * document must be kept, or 0 for "forever"; absent means forever for every envelope.
 */
export interface Push { type: 'push'; id: number; envelopes: Uint8Array[]; keep?: number[] }
export interface Subscribe { type: 'subscribe'; conv: Uint8Array; doc: Uint8Array; cursor: number }
export interface Unsubscribe { type: 'unsubscribe'; conv: Uint8Array; doc: Uint8Array }
export interface Ping { type: 'ping'; t: number }
/**
 * Post sealed items (lockboxes, membership bundles) to the mailboxes in `to` (1–10,000 distinct
 * mailbox addresses, crypto [K7]) and to `decoys` (row destinations from a decoy pool, crypto
 * [K8]; `to` and `decoys` together at most 10,000): every item goes to every recipient and is
 * stored once ([S11]). The server stores no sender, and no address: rows are kept under
 * `mailDest(address)`. Answered by one `ack` with one result per item.
 */
export interface Mail { type: 'mail'; id: number; to: Uint8Array[]; decoys?: Uint8Array[]; items: Uint8Array[] }
/**
 * The device has processed these mailbox items: the server deletes them. `pools`: for an item,
 * the decoy pool key it was posted with ([K8]), so the server removes its decoy rows in step
 * with the reads ([S11]).
 */
export interface MailDone { type: 'mail-done'; ids: number[]; pools?: { id: number; key: Uint8Array }[] }

/**
 * [S44] An ephemeral signal (receipts, typing; later call signalling) for the other connections
 * joined to `conv`: relayed at once, stored nowhere, never answered. `body` (≤ 2 KiB) is sealed
 * end to end by the sender (crypto [E14]); the server cannot read it.
 */
export interface Signal { type: 'signal'; conv: Uint8Array; body: Uint8Array }

/**
 * [S50] This device's Web Push subscription, under the push token `sha256(len‖domain‖len‖secret)`
 * (`pushTokenOf`): the server stores token → subscription only. `endpoint` is the push service's
 * https URL; `p256dh` (65 B, an uncompressed P-256 point) and `auth` (16 B) are the browser's
 * RFC 8291 keys. No answer; refused with 1400–1402.
 */
export interface PushRegister { type: 'push-register'; secret: Uint8Array; endpoint: string; p256dh: Uint8Array; auth: Uint8Array }
/** [S50] Deletes the subscription under this secret's token. No answer. */
export interface PushUnregister { type: 'push-unregister'; secret: Uint8Array }
/**
 * [S51] Wake the devices behind these push tokens (1–64, distinct, decoys allowed): each known
 * one gets a content-free Web Push. No answer; unknown tokens are skipped in silence.
 */
export interface Wake { type: 'wake'; tokens: Uint8Array[] }

/** [S55] Ask for short-lived TURN credentials (calls through firewalls); answered `turn-credentials` or 1410. */
export interface TurnRequest { type: 'turn' }
export type ClientMessage = Hello | Join | Rekey | Push | Subscribe | Unsubscribe | Ping | Mail | MailDone | Signal | PushRegister | PushUnregister | Wake | TurnRequest

export interface Limits { maxFrameBytes: number; maxEnvelopesPerPush: number; framesPerSecond: number }
export interface Challenge { type: 'challenge'; v: number; nonce: Uint8Array; limits: Limits }
export interface Welcome { type: 'welcome'; v: number }
export interface Joined { type: 'joined'; conv: Uint8Array; epoch: number }
/** Per-envelope outcome, in the order of the push: a server sequence number, or a code. */
export type PushResult = { sseq: number } | { code: number }
export interface Ack { type: 'ack'; id: number; results: PushResult[] }
export interface Delivery { sseq: number; env: Uint8Array }
/** Backlog (`live: false`) or fan-out (`live: true`) for one subscribed document, ascending sseq. */
export interface Envelopes { type: 'envelopes'; conv: Uint8Array; doc: Uint8Array; items: Delivery[]; live: boolean }
/** Sent once after the backlog of a subscription: everything up to `cursor` has been delivered. */
export interface CaughtUp { type: 'caught-up'; conv: Uint8Array; doc: Uint8Array; cursor: number }
/** Snapshots (kind-2 envelopes) that replace pruned envelopes, sent before a backlog ([S9]). */
export interface Snapshots { type: 'snapshots'; conv: Uint8Array; doc: Uint8Array; envs: Uint8Array[] }
export interface Pong { type: 'pong'; t: number }
/**
 * Items waiting in this device's mailbox: after `welcome`, and live as they arrive ([S11]).
 * `fanout`: the rows the item was posted with (recipients and decoys, a bucket).
 */
export interface Mailbox { type: 'mailbox'; items: { id: number; body: Uint8Array; fanout: number }[] }
/** `epoch`: with 1103 REKEY_CONFLICT, the epoch the conversation is at. */
export interface ErrorMessage { type: 'error'; code: number; message: string; ref?: string; fatal: boolean; epoch?: number }

/**
 * [S45] Another connection's signal for `conv`, as it sent it: no sender, no time, nothing stored.
 * Its tag is not `signal`, so a client frame never parses as a server frame ([P3]).
 */
export interface Relay { type: 'relay'; conv: Uint8Array; body: Uint8Array }

/** [S55] TURN servers and a credential valid for `ttl` seconds (crypto [X1]): no name in it. */
export interface TurnCredentials { type: 'turn-credentials'; urls: string[]; username: string; credential: string; ttl: number }

export type ServerMessage = Challenge | Welcome | Joined | Ack | Envelopes | Snapshots | CaughtUp | Pong | Mailbox | ErrorMessage | Relay | TurnCredentials
