import * as z from 'zod'
import type { ClientMessage, ServerMessage } from './messages.js'

/** [P3] Every inbound frame is validated against these schemas before any field is used. */
const bytes = (length?: number) =>
  z.instanceof(Uint8Array).refine((b) => length === undefined || b.length === length, { message: `expected ${length} bytes` })
const uint = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)
const u32 = z.number().int().nonnegative().max(0xffffffff)

export const MAX_ENVELOPE_BYTES = 1024 * 1024
/** [S56] The latest "keep until" day a push may name (year 2243); 0 is "forever". */
export const MAX_KEEP_DAY = 100_000
/** One mail item: a rotation op carries a 48-byte box per device of a group of up to 10,000 devices. */
export const MAX_MAIL_BYTES = 1024 * 1024
/** Devices one `mail` may address; the frame as a whole stays under `maxFrameBytes` ([S6]). */
export const MAX_MAIL_RECIPIENTS = 10_000
/**
 * Rows one `mail` adds on the server: (recipients + decoys) × items. One item to the largest group
 * fits; 64 items to 10,000 devices (640,000 rows, once 680 MiB and a 5 s stall) does not.
 */
export const MAX_MAIL_ROWS = 10_000

/** [S44] A signal's sealed body (crypto [E14]: at most 2,045 bytes). */
export const MAX_SIGNAL_BYTES = 2048

const signalBody = bytes().refine((b) => b.length >= 1 && b.length <= MAX_SIGNAL_BYTES, { message: 'signal body size' })

/** [S50] The longest push endpoint URL accepted (push services' URLs are under 500 characters). */
export const MAX_PUSH_ENDPOINT = 1024
/** [S51] Tokens one `wake` may name (a conversation's devices beyond this are woken in several). */
export const MAX_WAKE_TOKENS = 64

/** Recipients are distinct, so the server's per-mailbox limit check sees each mailbox once. */
/** [S55] A TURN or STUN server (RFC 7065 / 7064): `turn:` or `turns:` or `stun:`, host, optional port and transport. */
export const TURN_URL = /^(turns?|stun):[A-Za-z0-9.-]+(:[0-9]{1,5})?(\?transport=(udp|tcp))?$/
export const MAX_TURN_URL = 300
export const MAX_TURN_URLS = 8
const distinct = (keys: readonly Uint8Array[]) => new Set(keys.map((k) => k.join(','))).size === keys.length

export const clientMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('hello'), v: uint, device: bytes(32), proof: bytes(64), mailbox: bytes(32), mailboxProof: bytes(64) }),
  z.strictObject({ type: z.literal('join'), conv: bytes(16), epoch: u32, cap: bytes(32), proof: bytes(64), admin: bytes(32).optional(), origin: bytes(16).optional() }),
  z.strictObject({ type: z.literal('rekey'), conv: bytes(16), from: u32, epoch: u32, cap: bytes(32), admin: bytes(32), proof: bytes(64) }),
  z
    .strictObject({
      type: z.literal('push'),
      id: uint,
      envelopes: z.array(bytes().refine((b) => b.length <= MAX_ENVELOPE_BYTES, { message: 'envelope too large' })).min(1).max(256),
      keep: z.array(z.number().int().nonnegative().max(MAX_KEEP_DAY)).max(256).optional(),
    })
    .refine((m) => m.keep === undefined || m.keep.length === m.envelopes.length, { message: 'keep and envelopes differ in length' }),
  z.strictObject({ type: z.literal('subscribe'), conv: bytes(16), doc: bytes(16), cursor: uint }),
  z.strictObject({ type: z.literal('unsubscribe'), conv: bytes(16), doc: bytes(16) }),
  z.strictObject({ type: z.literal('ping'), t: z.number().finite() }),
  z
    .strictObject({
      type: z.literal('mail'),
      id: uint,
      to: z.array(bytes(32)).min(1).max(MAX_MAIL_RECIPIENTS).refine(distinct, { message: 'duplicate mail recipient' }),
      decoys: z.array(bytes(32)).max(MAX_MAIL_RECIPIENTS - 1).refine(distinct, { message: 'duplicate mail decoy' }).optional(),
      items: z.array(bytes().refine((b) => b.length <= MAX_MAIL_BYTES, { message: 'mail item too large' })).min(1).max(64),
    })
    .refine((m) => m.to.length + (m.decoys?.length ?? 0) <= MAX_MAIL_RECIPIENTS, { message: 'too many mail rows' })
    .refine((m) => (m.to.length + (m.decoys?.length ?? 0)) * m.items.length <= MAX_MAIL_ROWS, { message: 'too many mail rows' }),
  z
    .strictObject({
      type: z.literal('mail-done'),
      ids: z.array(uint).min(1).max(1000),
      pools: z.array(z.strictObject({ id: uint, key: bytes(32) })).max(1000).optional(),
    })
    .refine((m) => !m.pools || m.pools.every((p) => m.ids.includes(p.id)), { message: 'a pool for an item not done' }),
  z.strictObject({ type: z.literal('signal'), conv: bytes(16), body: signalBody }),
  // [S50] An https URL of a push service (the server checks the origin against its list).
  z.strictObject({ type: z.literal('push-register'), secret: bytes(32), endpoint: z.string().min(8).max(MAX_PUSH_ENDPOINT), p256dh: bytes(65), auth: bytes(16) }),
  z.strictObject({ type: z.literal('push-unregister'), secret: bytes(32) }),
  // [S51] A bounded wake: at most MAX_WAKE_TOKENS distinct tokens, real and decoy.
  z.strictObject({ type: z.literal('wake'), tokens: z.array(bytes(32)).min(1).max(MAX_WAKE_TOKENS).refine(distinct, { message: 'duplicate push token' }) }),
  z.strictObject({ type: z.literal('turn') }),
]) satisfies z.ZodType<ClientMessage>

const pushResult = z.union([z.strictObject({ sseq: uint }), z.strictObject({ code: uint })])

export const serverMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('challenge'),
    v: uint,
    nonce: bytes(32),
    limits: z.strictObject({ maxFrameBytes: uint, maxEnvelopesPerPush: uint, framesPerSecond: uint }),
  }),
  z.strictObject({ type: z.literal('welcome'), v: uint }),
  z.strictObject({ type: z.literal('joined'), conv: bytes(16), epoch: u32 }),
  z.strictObject({ type: z.literal('ack'), id: uint, results: z.array(pushResult) }),
  z.strictObject({
    type: z.literal('envelopes'),
    conv: bytes(16),
    doc: bytes(16),
    items: z.array(z.strictObject({ sseq: uint, env: bytes() })),
    live: z.boolean(),
  }),
  z.strictObject({ type: z.literal('snapshots'), conv: bytes(16), doc: bytes(16), envs: z.array(bytes()) }),
  z.strictObject({ type: z.literal('caught-up'), conv: bytes(16), doc: bytes(16), cursor: uint }),
  z.strictObject({ type: z.literal('pong'), t: z.number() }),
  z.strictObject({ type: z.literal('mailbox'), items: z.array(z.strictObject({ id: uint, body: bytes(), fanout: uint })) }),
  z.strictObject({ type: z.literal('relay'), conv: bytes(16), body: signalBody }),
  z.strictObject({
    type: z.literal('turn-credentials'),
    urls: z.array(z.string().regex(TURN_URL).max(MAX_TURN_URL)).min(1).max(MAX_TURN_URLS),
    username: z.string().min(1).max(128),
    credential: z.string().min(1).max(128),
    ttl: uint,
  }),
  z.strictObject({ type: z.literal('error'), code: uint, message: z.string().max(1000), ref: z.string().max(200).optional(), fatal: z.boolean(), epoch: u32.optional() }),
]) satisfies z.ZodType<ServerMessage>
