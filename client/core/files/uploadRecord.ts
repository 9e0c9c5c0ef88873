import * as z from 'zod'
import { FILE_NONCE_PREFIX_BYTES, parseFileSecret } from '../../../crypto/index.js'
import { BLOB_MAX_CHUNKS, parseBlobId, type ConvId } from '../../../protocol/index.js'
import { MAX_FILE_BYTES, MAX_FILES_PER_MESSAGE, MAX_THUMB_CHARS, type FileRef } from './ref.js'
import { MAX_MESSAGE_CHARS } from '../documents/model.js'

/** [A2] One file of an upload as its record keeps it: the ref it will be sent as, and how far the server has it. */
const fileSchema = z.object({
  blob: z.string().refine((s) => parseBlobId(s) !== undefined),
  key: z.instanceof(Uint8Array).refine((b) => b.length === 32),
  nonce: z.instanceof(Uint8Array).refine((b) => b.length === FILE_NONCE_PREFIX_BYTES),
  name: z.string().min(1).max(255),
  type: z.string().max(127),
  size: z.number().int().min(0).max(MAX_FILE_BYTES),
  real: z.number().int().min(1).max(BLOB_MAX_CHUNKS),
  chunks: z.number().int().min(1).max(BLOB_MAX_CHUNKS),
  sha: z.string().regex(/^[0-9a-f]{64}$/),
  thumb: z.string().max(MAX_THUMB_CHARS).optional(),
  w: z.number().int().min(0).optional(),
  h: z.number().int().min(0).optional(),
  dur: z.number().int().min(0).optional(),
  /** Chunks the server confirmed it holds durably. */
  stored: z.number().int().min(0),
  /**
   * Sent from this path (the CLI): no sealed copy in the spool; its chunks are sealed again from
   * the file, checked against the tags kept beside the record (chunkTags.ts, crypto [F3]).
   */
  src: z.string().min(1).max(4096).optional(),
})

export const uploadSchema = z.object({
  v: z.literal(1),
  conv: z.string().min(1).max(64),
  /** The message's own id (tag): the message is written once, under it, when every file is up. */
  tag: z.string().min(1).max(32),
  /** When the person sent it: the message is shown at this time, not when the upload ended. */
  ts: z.number(),
  caption: z.string().max(MAX_MESSAGE_CHARS),
  replyTo: z.string().max(64).optional(),
  /** [M44] The message is a forward (its files sealed anew from another conversation's). */
  fwd: z.literal(true).optional(),
  files: z.array(fileSchema).min(1).max(MAX_FILES_PER_MESSAGE),
  /** A refusal that retrying will not change (a code): shown with Retry and Cancel. */
  failed: z.string().max(64).optional(),
})

export type UploadFile = z.infer<typeof fileSchema>
export type UploadRecord = z.infer<typeof uploadSchema>

export function refOf(f: UploadFile): FileRef {
  const blob = parseBlobId(f.blob)
  const secret = parseFileSecret(f.key, f.nonce)
  if (!blob || !secret) throw new Error('an upload record holds a bad blob id or secret')
  return {
    blob, secret, name: f.name, type: f.type, size: f.size, chunks: f.chunks, sha256: f.sha,
    ...(f.thumb ? { thumb: f.thumb } : {}), ...(f.w !== undefined ? { width: f.w } : {}), ...(f.h !== undefined ? { height: f.h } : {}), ...(f.dur !== undefined ? { duration: f.dur } : {}),
  }
}

export const convOf = (r: UploadRecord): ConvId => r.conv as ConvId
