import { MAX_SIGNAL_BYTES } from '../../protocol/index.js'

/**
 * [S21] What one instance tells the others, as NOTIFY payloads (text, at most 8,000 bytes).
 * A notice names only what the store already holds — a conversation and document id and a range
 * of sseqs, a row destination and its mail row ids, a conversation id — never an envelope, a
 * body, a key or a mailbox address; receivers read the rest from the store. Anyone who can
 * connect to the database can NOTIFY on the channel, so a notice is parsed like any other input
 * and one that does not parse is dropped (it can at most make an instance read the store).
 *
 *   e|<instance>|<conv hex>|<doc hex>|<first sseq>|<last sseq>
 *   m|<instance>|<dest hex>:<id>,<id>…;<dest hex>:<id>…
 *   r|<instance>|<conv hex>
 *   s|<instance>|<conv hex>|<body base64url>
 *
 * The one exception to "no body" is a signal ([S48]): it is stored nowhere, so there is nothing
 * to read back, and its sealed body (crypto [E14], ≤ 2 KiB) rides in the notice itself.
 */
export type Notice =
  | { readonly kind: 'envelopes'; readonly instance: string; readonly conv: Uint8Array; readonly doc: Uint8Array; readonly first: number; readonly last: number }
  | { readonly kind: 'mail'; readonly instance: string; readonly boxes: readonly { readonly dest: Uint8Array; readonly ids: readonly number[] }[] }
  | { readonly kind: 'rekey'; readonly instance: string; readonly conv: Uint8Array }
  | { readonly kind: 'signal'; readonly instance: string; readonly conv: Uint8Array; readonly body: Uint8Array }

/** PostgreSQL refuses longer payloads; a little room is kept below its 8,000 bytes. */
export const NOTICE_MAX = 7_900
/** Ids one mail notice names per destination: a post has at most 64 items. */
const MAX_IDS = 64

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'))

export const envelopesNotice = (instance: string, conv: Uint8Array, doc: Uint8Array, first: number, last: number): string =>
  `e|${instance}|${hex(conv)}|${hex(doc)}|${first}|${last}`

export const rekeyNotice = (instance: string, conv: Uint8Array): string => `r|${instance}|${hex(conv)}`

export const signalNotice = (instance: string, conv: Uint8Array, body: Uint8Array): string =>
  `s|${instance}|${hex(conv)}|${Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64url')}`

/** Mail notices for every recipient of a post, each payload within NOTICE_MAX. */
export function mailNotices(instance: string, dests: readonly Uint8Array[], ids: readonly (readonly number[])[]): string[] {
  const head = `m|${instance}|`
  const out: string[] = []
  let parts: string[] = []
  let size = head.length
  dests.forEach((dest, r) => {
    const part = `${hex(dest)}:${ids[r]!.join(',')}`
    if (parts.length && size + 1 + part.length > NOTICE_MAX) {
      out.push(head + parts.join(';'))
      parts = []
      size = head.length
    }
    parts.push(part)
    size += part.length + 1
  })
  if (parts.length) out.push(head + parts.join(';'))
  return out
}

const INSTANCE = /^[0-9a-f]{16}$/
const ID16 = /^[0-9a-f]{32}$/
const ID32 = /^[0-9a-f]{64}$/
const SSEQ = /^[1-9][0-9]{0,14}$/
/** A signal body in base64url: 1 to 2,048 bytes ([S44]). */
const BODY = /^[A-Za-z0-9_-]{2,2731}$/

export function parseNotice(payload: string): Notice | undefined {
  if (payload.length > 8_000) return undefined
  const [kind, instance, ...rest] = payload.split('|')
  if (!instance || !INSTANCE.test(instance)) return undefined
  if (kind === 'e' && rest.length === 4) {
    const [conv, doc, first, last] = rest as [string, string, string, string]
    if (!ID16.test(conv) || !ID16.test(doc) || !SSEQ.test(first) || !SSEQ.test(last) || Number(first) > Number(last)) return undefined
    return { kind: 'envelopes', instance, conv: bytes(conv), doc: bytes(doc), first: Number(first), last: Number(last) }
  }
  if (kind === 'r' && rest.length === 1 && ID16.test(rest[0]!)) return { kind: 'rekey', instance, conv: bytes(rest[0]!) }
  if (kind === 's' && rest.length === 2 && ID16.test(rest[0]!) && BODY.test(rest[1]!)) {
    const body = new Uint8Array(Buffer.from(rest[1]!, 'base64url'))
    return body.length >= 1 && body.length <= MAX_SIGNAL_BYTES ? { kind: 'signal', instance, conv: bytes(rest[0]!), body } : undefined
  }
  if (kind === 'm' && rest.length === 1) {
    const boxes: { dest: Uint8Array; ids: number[] }[] = []
    for (const part of rest[0]!.split(';')) {
      const [dest, list, extra] = part.split(':')
      if (!dest || !ID32.test(dest) || list === undefined || extra !== undefined) return undefined
      const ids = list.split(',')
      if (ids.length > MAX_IDS || !ids.every((id) => SSEQ.test(id))) return undefined
      boxes.push({ dest: bytes(dest), ids: ids.map(Number) })
    }
    return { kind: 'mail', instance, boxes }
  }
  return undefined
}
