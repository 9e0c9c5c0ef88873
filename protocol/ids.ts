import { fromBase64Url, toBase64Url } from '../crypto/bytes.js'

declare const brand: unique symbol
/** A conversation id: 16 random bytes, spelled as unpadded base64url (22 chars). */
export type ConvId = string & { readonly [brand]: 'ConvId' }
/** A document id (root or segment): 16 random bytes as base64url. */
export type DocId = string & { readonly [brand]: 'DocId' }
/** A device id: the device's Ed25519 public key as base64url (43 chars). */
export type DeviceId = string & { readonly [brand]: 'DeviceId' }

const ID16 = /^[A-Za-z0-9_-]{22}$/
const ID32 = /^[A-Za-z0-9_-]{43}$/

export function parseConvId(s: unknown): ConvId | undefined {
  return typeof s === 'string' && ID16.test(s) && fromBase64Url(s) ? (s as ConvId) : undefined
}
export function parseDocId(s: unknown): DocId | undefined {
  return typeof s === 'string' && ID16.test(s) && fromBase64Url(s) ? (s as DocId) : undefined
}
export function parseDeviceId(s: unknown): DeviceId | undefined {
  return typeof s === 'string' && ID32.test(s) && fromBase64Url(s) ? (s as DeviceId) : undefined
}
export function idBytes(id: ConvId | DocId | DeviceId): Uint8Array {
  const b = fromBase64Url(id)
  if (!b) throw new TypeError('invalid id')
  return b
}
export function convIdOf(bytes: Uint8Array): ConvId {
  return toBase64Url(bytes) as ConvId
}
export function docIdOf(bytes: Uint8Array): DocId {
  return toBase64Url(bytes) as DocId
}
export function deviceIdOf(bytes: Uint8Array): DeviceId {
  return toBase64Url(bytes) as DeviceId
}
