import * as A from '@automerge/automerge'
import { FILE_CHUNK_BYTES, fromBase64Url, fromHex, parseFileSecret, toBase64Url, toHex, type FileSecret } from '../../../crypto/index.js'
import { BLOB_MAX_CHUNKS, blobIdBytes, paddedChunkCount, parseBlobId, type BlobId } from '../../../protocol/index.js'

/**
 * [A1] What a message says about one attached file. It travels only inside the encrypted
 * message (crypto [F1]): the server never sees a name, a type, a size to the byte, a hash or a
 * thumbnail. The blob id names the sealed chunks on the server; key and nonce prefix open them.
 */
export interface FileRef {
  readonly blob: BlobId
  readonly secret: FileSecret
  /** The file's name as the sender gave it (display only; never a path). */
  readonly name: string
  /** The sender's declared MIME type (checked against the content before opening, [H…]). */
  readonly type: string
  readonly size: number
  /** Padded chunk count on the server (protocol [B2]). */
  readonly chunks: number
  /** Plain SHA-256 of the content, lower-case hex (crypto [F5]). */
  readonly sha256: string
  /** A small JPEG made on the sender's device, base64url; shown before anything is fetched. */
  readonly thumb?: string
  readonly width?: number
  readonly height?: number
  /** Seconds, for audio and video. */
  readonly duration?: number
}

/** [A1] 2 GiB: what a file may hold; its padded chunk count stays under the server's limit. */
export const MAX_FILE_BYTES = 2 * 1024 ** 3
export const MAX_FILES_PER_MESSAGE = 32
export const MAX_FILE_NAME_CHARS = 255
export const MAX_THUMB_CHARS = 64 * 1024
const MAX_TYPE_CHARS = 127

/** The Automerge form: strings are ImmutableStrings, bytes base64url (kept as strings: Automerge byte values are avoided in every record, [M20]). */
export type FileRecord = Record<string, A.ImmutableString | number>

const imm = (s: string) => new A.ImmutableString(s)
const str = (v: unknown): string | undefined => (v instanceof A.ImmutableString ? v.val : typeof v === 'string' ? v : undefined)
const int = (v: unknown, max: number): number | undefined => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max ? v : undefined)

export function fileRecord(ref: FileRef): FileRecord {
  const r: FileRecord = {
    b: imm(ref.blob), k: imm(toBase64Url(ref.secret.key)), n: imm(toBase64Url(ref.secret.noncePrefix)), name: imm(ref.name), type: imm(ref.type),
    size: ref.size, chunks: ref.chunks, sha: imm(ref.sha256),
  }
  if (ref.thumb) r.thumb = imm(ref.thumb)
  if (ref.width !== undefined) r.w = ref.width
  if (ref.height !== undefined) r.h = ref.height
  if (ref.duration !== undefined) r.dur = ref.duration
  return r
}

/**
 * [A1] Parses a file record out of a received message: every field checked (lengths, bounds,
 * a padded chunk count that holds the size), or undefined. A sender's hostile record is
 * never a half-parsed ref.
 */
export function readFileRecord(v: unknown): FileRef | undefined {
  if (!v || typeof v !== 'object') return undefined
  const r = v as Record<string, unknown>
  const blob = parseBlobId(str(r.b))
  const key = fromBase64Url(str(r.k) ?? '')
  const nonce = fromBase64Url(str(r.n) ?? '')
  const secret = key && nonce ? parseFileSecret(key, nonce) : undefined
  const name = str(r.name)
  const type = str(r.type)
  const size = int(r.size, MAX_FILE_BYTES)
  const chunks = int(r.chunks, BLOB_MAX_CHUNKS)
  const sha = str(r.sha)
  if (!blob || !secret || name === undefined || type === undefined || size === undefined || chunks === undefined || !sha) return undefined
  if (!cleanName(name) || type.length > MAX_TYPE_CHARS || !/^[\w.+-]+\/[\w.+-]+$|^$/.test(type)) return undefined
  if (!/^[0-9a-f]{64}$/.test(sha) || !fromHex(sha)) return undefined
  const real = Math.max(1, Math.ceil(size / FILE_CHUNK_BYTES))
  if (chunks !== paddedChunkCount(real)) return undefined
  const thumb = str(r.thumb)
  if (thumb !== undefined && (thumb.length > MAX_THUMB_CHARS || !fromBase64Url(thumb))) return undefined
  const w = int(r.w, 100_000)
  const h = int(r.h, 100_000)
  const dur = int(r.dur, 10 ** 7)
  return {
    blob, secret, name, type, size, chunks, sha256: sha,
    ...(thumb ? { thumb } : {}), ...(w !== undefined ? { width: w } : {}), ...(h !== undefined ? { height: h } : {}), ...(dur !== undefined ? { duration: dur } : {}),
  }
}

export function readFileRecords(v: unknown): FileRef[] | undefined {
  if (!Array.isArray(v)) return undefined
  const out: FileRef[] = []
  for (const item of v.slice(0, MAX_FILES_PER_MESSAGE)) {
    const ref = readFileRecord(item)
    if (ref) out.push(ref)
  }
  return out
}

/** [A1] A display name: no path separators, no control characters, not empty, at most 255 characters. */
export function cleanName(name: string): boolean {
  return name.length > 0 && name.length <= MAX_FILE_NAME_CHARS && !/[\u0000-\u001f\u007f/\\]/.test(name) && name !== '.' && name !== '..'
}

/** A name made safe to show and to save under: the last path part, control characters and separators dropped. */
export function safeName(name: string): string {
  const last = name.split(/[/\\]/).pop() ?? ''
  const clean = last.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, MAX_FILE_NAME_CHARS)
  return clean && clean !== '.' && clean !== '..' ? clean : 'file'
}

export const blobBytesOf = (ref: FileRef): Uint8Array => blobIdBytes(ref.blob)
export const shaHex = (digest: Uint8Array): string => toHex(digest)
