import * as z from 'zod'
import { conversationIdOf, domainHash, frame, fromHex, toBase64Url, toHex, verifySignature, type Signer } from '../../../crypto/index.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'
import { FILE_POLICY_LIMITS, isFileRule } from '../files/check/policy.js'

/**
 * [T1][T2] Membership operations. An op is CBOR bytes plus the author device's signature over
 * domain ‖ bytes; its id is the hash of the bytes as received. Inbound ops are untrusted input:
 * parsed with a schema, signature checked, then handed to the resolver (which checks authority).
 */
export type OpId = string & { readonly __op: true }
export type UserId = string

const bytes32 = z.custom<Uint8Array>((b) => b instanceof Uint8Array && b.length === 32, 'expected 32 bytes')
const bytes16 = z.custom<Uint8Array>((b) => b instanceof Uint8Array && b.length === 16, 'expected 16 bytes')
const bytesAny = z.custom<Uint8Array>((b) => b instanceof Uint8Array, 'expected bytes')
const user = z.string().min(1).max(64)
const detached = z.object({ count: z.number().int().nonnegative().max(10_000), hash: z.custom<Uint8Array>((b) => b instanceof Uint8Array && b.length === 32, 'expected 32 bytes') })
const opIdString = z.string().regex(/^[0-9a-f]{64}$/)

/** [T21] A domain as the link checks compare it: lower-case ASCII (an IDN in punycode), two labels or more, no trailing dot. */
export const DOMAIN_PATTERN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
export const MAX_BLOCKED_DOMAINS = 10_000
/**
 * [T21] A policy op's bound, as {@link policyBodyBytes} counts it. A policy op travels in bundle
 * parts beside a rotation's boxes (team [T13], one mail item ≤ 1 MiB, protocol [S11]): at 384 KiB
 * it fits beside the boxes of a rotation to 8,192 devices. 10,000 hashes take 340,000 bytes.
 */
export const MAX_POLICY_OP_BYTES = 384 * 1024

const fileRule = z.string().max(16).refine(isFileRule, 'not a file type or class')
const domain = z.string().max(253).regex(DOMAIN_PATTERN)
const edits = <T extends z.ZodType>(item: T, max: number) => z.object({ add: z.array(item).max(max), remove: z.array(item).max(max) })
const policyBody = z
  .object({
    kind: z.literal('policy'),
    requireLock: z.boolean(),
    autoLockMinutes: z.number().int().min(0).max(10_080),
    forbidExport: z.boolean(),
    files: z.object({ block: z.array(fileRule).max(FILE_POLICY_LIMITS.rules), warn: z.array(fileRule).max(FILE_POLICY_LIMITS.rules), maxMb: z.number().int().min(0).max(FILE_POLICY_LIMITS.maxFileMb) }).optional(),
    hashes: edits(bytes32, FILE_POLICY_LIMITS.blockedHashes).optional(),
    domains: edits(domain, MAX_BLOCKED_DOMAINS).optional(),
    /** [T22] The organisation scanner (a member's user id), or `false`: none. Absent: as it was. */
    scanner: z.union([user, z.literal(false)]).optional(),
    /** client [M58]: members' devices send and show read receipts (false: delivered only). Absent: as it was. */
    readReceipts: z.boolean().optional(),
    /** [T21] client [M61]: what a notification may show at most (a person may choose less). Absent: as it was. */
    notifications: z.enum(['content', 'sender', 'none']).optional(),
    /** Client [M67]: the longest a message of the organisation lives, in seconds (0: no limit). Absent: as it was. */
    maxDisappearSeconds: z.number().int().min(0).max(7_776_000).optional(),
    /** client [Q3] Usage statistics on, collected by the op's author under this key (crypto [X3]), or `false`: off. Absent: as it was. */
    stats: z.union([z.object({ key: z.custom<Uint8Array>((b) => b instanceof Uint8Array && b.length === 96, 'expected 96 bytes') }).strict(), z.literal(false)]).optional(),
  })
  .refine((b) => policyBodyBytes(b) <= MAX_POLICY_OP_BYTES, 'policy op too large')
export type PolicyBody = z.infer<typeof policyBody>

/** An upper bound of a policy body's encoded size (its strings are ASCII, each with a header of at most 3 bytes). */
export function policyBodyBytes(b: {
  files?: { block: readonly string[]; warn: readonly string[] } | undefined
  hashes?: { add: readonly unknown[]; remove: readonly unknown[] } | undefined
  domains?: { add: readonly string[]; remove: readonly string[] } | undefined
  scanner?: string | false | undefined
  stats?: { key: Uint8Array } | false | undefined
}): number {
  const strings = (xs: readonly string[] = []) => xs.reduce((n, x) => n + x.length + 3, 0)
  return 128 + (b.stats ? 112 : 0) + (typeof b.scanner === 'string' ? 8 + strings([b.scanner]) : 0) + strings(b.files?.block) + strings(b.files?.warn) + 34 * ((b.hashes?.add.length ?? 0) + (b.hashes?.remove.length ?? 0)) + strings(b.domains?.add) + strings(b.domains?.remove)
}

export const bodySchema = z.discriminatedUnion('kind', [
  /** `mailbox`: the device's mailbox address (crypto [K7]), where bundles reach it ([T13]). */
  z.object({ kind: z.literal('create-org'), nonce: bytes16, name: z.string().max(200), user, userName: z.string().max(64), device: bytes32, box: bytes32, mailbox: bytes32, conversation: z.literal(true).optional(), decoys: bytes32.optional() }),
  z.object({ kind: z.literal('admit'), user, userName: z.string().max(64), device: bytes32, box: bytes32, mailbox: bytes32, invite: z.string().max(64).optional() }),
  /** [T12] A one-time invitation: the public half of a key derived from the link's secret. */
  /** With `user`: an invitation to link another device of that person ([T17]). */
  z.object({ kind: z.literal('invite'), invite: z.string().min(1).max(64), key: bytes32, expires: z.number(), user: user.optional() }),
  z.object({ kind: z.literal('revoke-invite'), invite: z.string().min(1).max(64) }),
  z.object({ kind: z.literal('add-device'), user, device: bytes32, box: bytes32, mailbox: bytes32, invite: z.string().max(64).optional() }),
  z.object({ kind: z.literal('remove-device'), device: bytes32 }),
  z.object({ kind: z.literal('remove-user'), user }),
  z.object({ kind: z.literal('create-group'), nonce: bytes16, name: z.string().max(200), user, history: z.boolean() }),
  z.object({ kind: z.literal('add'), user }),
  z.object({ kind: z.literal('remove'), user }),
  z.object({ kind: z.literal('promote'), user }),
  z.object({ kind: z.literal('demote'), user }),
  z.object({ kind: z.literal('rename'), name: z.string().max(200) }),
  z.object({ kind: z.literal('set-history'), history: z.boolean() }),
  z.object({
    kind: z.literal('rotate'),
    epoch: z.number().int().nonnegative(),
    ephemeral: bytes32,
    /**
     * One box per member device of the author's causal past, in sorted device order ([T9]),
     * *detached*: the op signs their number and hash; the boxes travel beside it ([T16]).
     */
    boxes: detached,
    chain: bytesAny.optional(),
    /** The epoch's roster key ([T13]) under the epoch key ([L5]). */
    roster: bytesAny.optional(),
    /**
     * A fresh admin key sealed ([L3]) to every admin device, in sorted order; under it, the
     * space's admin secret ([K4]) and the roster key, so admins who are not members can act.
     */
    admins: z.object({ ephemeral: bytes32, boxes: detached, secret: bytesAny, roster: bytesAny }).optional(),
    /** Groups: the organisation heads the recipients were derived from ([T6]). */
    org: z.array(opIdString).max(64).optional(),
  }),
  /**
   * [T21] The organisation's device policy (the latest in [T4] order wins): require an app lock,
   * the longest auto-lock time a device may keep (minutes; 0: no limit), forbid export, whole in
   * every op; the file rules (client [H8]) whole when present; SHA-256 blocklist entries and
   * blocked domains as edits (added, removed) when present; the scanner ([T22]) when present.
   * Ops from before these fields still parse.
   */
  policyBody,
  /**
   * client [M63] The author device's push token (32 bytes, the hash of a secret only the device
   * holds, protocol [S50]) — whom to wake when a message is written here — or none (withdrawn).
   */
  z.object({ kind: z.literal('push-token'), token: bytes32.optional() }),
  /** [T18] The key chain ([L4]) a rotation made without one: the previous key under `epoch`'s key. */
  z.object({ kind: z.literal('link'), epoch: z.number().int().nonnegative(), chain: bytesAny }),
])
export type OpBody = z.infer<typeof bodySchema>
export type OpKind = OpBody['kind']

const opSchema = z.object({
  v: z.literal(1),
  space: z.string().min(1).max(64),
  parents: z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(64),
  author: bytes32,
  time: z.number(),
  body: bodySchema,
})

export interface Op {
  readonly id: OpId
  readonly space: string
  readonly parents: readonly OpId[]
  /** Signing key of the author device (hex), checked against the state by the resolver. */
  readonly author: string
  readonly time: number
  readonly body: OpBody
  /** The op as it travels: CBOR bytes and signature. */
  readonly wire: { readonly bytes: Uint8Array; readonly sig: Uint8Array }
}

/**
 * [T1] A space's id is derived from its creator device and a random nonce written in the
 * creating op: nobody else can make a first op for that id, and only that device can register
 * the space on the server (crypto [K6], the nonce is the conversation's origin).
 */
export const spaceIdOf = (author: Uint8Array, nonce: Uint8Array): string => toBase64Url(conversationIdOf(author, nonce))

/** A first op (no parents) is only the creation of its own space, by its creator ([T1]). */
export function isGenesisOf(op: Op): boolean {
  const b = op.body
  return op.parents.length === 0 && (b.kind === 'create-org' || b.kind === 'create-group') && op.space === spaceIdOf(fromHex(op.author)!, b.nonce)
}

const DOMAIN_SIGN = 'fieldchat/v1/team/op'
const DOMAIN_ID = 'fieldchat/v1/team/op-id'

export const opIdOf = (bytes: Uint8Array): OpId => toHex(domainHash(DOMAIN_ID, bytes)) as OpId

export async function signOp(signer: Signer, space: string, parents: readonly OpId[], body: OpBody, time = Date.now()): Promise<Op> {
  const bytes = encodeRecord({ v: 1, space, parents: [...parents].sort(), author: signer.publicKey, time, body })
  const sig = await signer.sign(frame(DOMAIN_SIGN, [bytes]))
  return { id: opIdOf(bytes), space, parents: [...parents].sort() as OpId[], author: toHex(signer.publicKey), time, body, wire: { bytes, sig } }
}

/** Untrusted bytes → op, or undefined when malformed or the signature does not verify. */
export async function readOp(bytes: Uint8Array, sig: Uint8Array): Promise<Op | undefined> {
  const rec = decodeRecord(bytes, opSchema)
  if (!rec || sig.length !== 64) return undefined
  if (!(await verifySignature(frame(DOMAIN_SIGN, [bytes]), sig, rec.author))) return undefined
  return { id: opIdOf(bytes), space: rec.space, parents: rec.parents as OpId[], author: toHex(rec.author), time: rec.time, body: rec.body, wire: { bytes, sig } }
}
