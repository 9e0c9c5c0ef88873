import * as A from '@automerge/automerge'
import { interpretAsDocumentId, type AnyDocumentId, type DocumentId } from '@automerge/automerge-repo'
import { domainHash, fromHex, toHex } from '../../../crypto/index.js'
import { idBytes, type DocId } from '../../../protocol/index.js'
import type { Entry, LocalStore, WriteOp } from '../storage/LocalStore.js'

/**
 * [M3a] How a document lies in the local store: the chunks automerge-repo's storage wrote and
 * loads, so a device's stored documents read the same before and after the DocStore stopped
 * going through automerge-repo's Repo:
 *
 *   am/<documentId>/snapshot/<name>      a whole saved document (`A.save`)
 *   am/<documentId>/incremental/<name>   the changes since the last save (`A.saveSince`)
 *
 * `documentId` is automerge-repo's spelling of the document's id. A document is every snapshot
 * then every incremental chunk, in key order, one after the other. Names only tell chunks apart
 * (automerge-repo names them by a hash of their bytes; ours by a hash of the heads they end at).
 */
export type ChunkKind = 'snapshot' | 'incremental'

export interface ChunkInfo {
  readonly key: readonly string[]
  readonly kind: ChunkKind
  readonly size: number
}

export function documentId(id: DocId): DocumentId {
  return interpretAsDocumentId(idBytes(id) as unknown as AnyDocumentId)
}

/** The chunks of a document and their bytes one after the other; undefined when it has none. */
export async function loadChunks(store: LocalStore, id: DocId): Promise<{ bytes: Uint8Array; chunks: ChunkInfo[] } | undefined> {
  const did = documentId(id)
  const found: [ChunkKind, Entry[]][] = [
    ['snapshot', await store.range(['am', did, 'snapshot'])],
    ['incremental', await store.range(['am', did, 'incremental'])],
  ]
  const chunks: ChunkInfo[] = []
  let size = 0
  for (const [kind, entries] of found) for (const e of entries) (chunks.push({ key: e.key, kind, size: e.value.length }), (size += e.value.length))
  if (!chunks.length) return undefined
  const bytes = new Uint8Array(size)
  let at = 0
  for (const [, entries] of found) for (const e of entries) (bytes.set(e.value, at), (at += e.value.length))
  return { bytes, chunks }
}

/**
 * A document from its chunks (or from change chunks one after the other): loaded whole, which
 * builds it once, or, when that fails (changes with a gap: a dependency not among them),
 * incrementally, which holds the changes after the gap until it is filled.
 */
export function loadDocument<T>(bytes: Uint8Array, actor?: string): A.Doc<T> {
  const options = actor === undefined ? {} : { actor: actor as A.ActorId }
  try {
    return A.load<T>(bytes, options)
  } catch {
    return A.loadIncremental(A.init<T>(options), bytes)
  }
}

const CHUNK_NAME = 'FieldChat local document chunk name v1'

/** The write of one chunk of `doc` ending at `heads`. */
export function chunkWrite(id: DocId, kind: ChunkKind, heads: readonly string[], bytes: Uint8Array): WriteOp & { readonly info: ChunkInfo } {
  const name = toHex(domainHash(CHUNK_NAME, ...[...heads].sort().map((h) => fromHex(h) ?? new TextEncoder().encode(h))))
  const key = ['am', documentId(id), kind, name]
  return { key, value: bytes, info: { key, kind, size: bytes.length } }
}
