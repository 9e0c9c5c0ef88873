import { FILE_CHUNK_BYTES, FILE_SEALED_CHUNK_BYTES, FILE_TAG_BYTES, fileFillerChunk, parseFileSecret } from '../../../crypto/index.js'
import { BLOB_MAX_CHUNKS_PER_PUT, parseBlobId, type BlobId, type ConvId } from '../../../protocol/index.js'
import { ClientError, ClientErrorCode, type ClientErrorCode as Code } from '../errors.js'
import type { LocalStore, WriteOp } from '../storage/LocalStore.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'
import type { BlobAccess, BlobClient } from './blobClient.js'
import { BlobError } from './blobClient.js'
import { cleanName, MAX_FILES_PER_MESSAGE, MAX_THUMB_CHARS, safeName } from './ref.js'
import { EarlyUpload } from './earlyUpload.js'
import { ChunkTags, TAGS_KEY, tagsKey, tagsSchema } from './chunkTags.js'
import { SourceResealer } from './resealSource.js'
import { intoSpool, SEAL_STEP_CHUNKS, sealFile, type SealedOutput } from './sealFile.js'
import { SealedWindow } from './sealedWindow.js'
import type { FileSource } from './source.js'
import type { FileVerdict } from './check/index.js'
import type { Spool } from './spool.js'
import { convOf, uploadSchema, type UploadFile, type UploadRecord } from './uploadRecord.js'

/**
 * A file the person attached, with what the sender's device made of it (a thumbnail,
 * dimensions). `confirmed`: the person took the second step on a file the checks warn about.
 */
export interface Attachment {
  readonly confirmed?: boolean
  readonly source: FileSource
  /**
   * Where this device can open the same file again (the CLI: its absolute path; see
   * `UploadsDeps.reopen`). Sent while the link is up, such a file is not copied into the spool:
   * it is sealed again from here as it goes out ([A2]), and `source` must stay readable until
   * the upload is done or stopped.
   */
  readonly origin?: string
  readonly name: string
  readonly type: string
  readonly thumb?: string
  readonly width?: number
  readonly height?: number
  readonly duration?: number
}

export interface UploadView {
  readonly id: string
  readonly conv: ConvId
  readonly caption: string
  readonly ts: number
  /** `sent`: bytes the server holds; `sealed`: while preparing, bytes encrypted on this device so far. */
  readonly files: readonly { readonly name: string; readonly type: string; readonly size: number; readonly sent: number; readonly sealed?: number; readonly thumb?: string }[]
  /**
   * `preparing`: being encrypted into the file outbox and checked on this device (not recorded
   * yet: it goes if the app closes now); `waiting`: offline or refused for now (retried by
   * itself); `failed`: needs the person (Retry or Cancel).
   */
  readonly state: 'preparing' | 'queued' | 'sending' | 'waiting' | 'failed'
  readonly error?: Code
}

export interface UploadsDeps {
  readonly store: LocalStore
  readonly spool: Spool
  readonly client: BlobClient | undefined
  /** The conversation's capability at this device's epoch (and its organisation's); undefined while it has no key. */
  readonly access: (conv: ConvId) => BlobAccess | undefined
  /** Writes the message (caption and refs) under the upload's tag; a no-op when it is written already. */
  readonly write: (upload: UploadRecord) => Promise<void>
  readonly changed: () => void
  /**
   * [H5][H8] The file checks with the conversation's organisation policy, on the file and its
   * hash: a `block` refuses it (M531) and a `warn` without `confirmed` asks for the second step
   * (M532); either way nothing is queued.
   */
  readonly check?: (conv: ConvId, source: FileSource, claim: { name: string; type: string }, sha256: string) => Promise<FileVerdict>
  /**
   * Chunks per PUT (default 256: 16 MiB, the server's most, [B5]). A cut link loses nothing the
   * server received whole; a link too slow for a PUT in the server's 130 s gets B408 with what
   * arrived kept, and the next PUT goes on from there.
   */
  readonly putChunks?: number
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number }
  /** Opens a file again by its `Attachment.origin` (the CLI); without it every file is copied into the spool. */
  readonly reopen?: (origin: string) => Promise<ReopenedSource>
}

export type ReopenedSource = FileSource & { close(): Promise<void> }

const KEY = 'upload'
/** `upload/<conv>/<tag>`: keyed by its conversation, so a remote wipe of the space takes it too ([M30]). */
const keyOf = (rec: UploadRecord) => [KEY, rec.conv, rec.tag]
const spoolId = (tag: string, i: number) => `${tag}.${i}`
/** How often a preparing upload's progress is told at most. */
const PROGRESS_MS = 100

/**
 * [A2] The file outbox. An attachment is sealed into the spool and recorded before `add`
 * resolves; from then on it survives reloads and closed tabs, and goes out by itself, oldest
 * first, resuming from what the server holds (its status) after any interruption. The message
 * that refers to the files is written when all of them are up, at the time the person sent it,
 * so no recipient ever sees a file that cannot be fetched yet.
 *
 * Invariant 1: a record names only spool entries that are whole (sealed and flushed).
 * Invariant 2: the message is written before the record is deleted, and at most once (by tag).
 */
export class Uploads {
  private readonly records = new Map<string, UploadRecord>()
  private readonly sent = new Map<string, number[]>()
  private readonly states = new Map<string, { state: UploadView['state']; error?: Code }>()
  private readonly aborts = new Map<string, AbortController>()
  /** Chunks per PUT each upload has come down to (a slow link), kept across retries. */
  private readonly perPut = new Map<string, number>()
  /** Uploads of files that started while they were sealed; the outbox waits for them before it sends. */
  private readonly early = new Map<string, EarlyUpload[]>()
  /** Uploads being sealed and checked (`add` has not resolved): shown with their progress, cancellable. */
  private readonly preparing = new Map<string, { view: UploadView; abort: AbortController; shownAt: number }>()
  /** Files sent from their path, opened again to be sealed again (by spool id), while their upload runs. */
  private readonly resealers = new Map<string, Promise<{ resealer: SourceResealer; source: ReopenedSource }>>()
  private running: Promise<void> | undefined
  private stopping: Promise<void> | undefined
  /** Files being sealed into the spool as the outbox stops: a cancel waits for it. */
  private keeping: Promise<void> | undefined
  private writes: Promise<void> = Promise.resolve()
  private wake: (() => void) | undefined
  private stopped = false
  private delayMs = 0

  constructor(private readonly deps: UploadsDeps) {}

  async load(): Promise<void> {
    for (const e of await this.deps.store.range([KEY])) {
      const rec = decodeRecord(e.value, uploadSchema)
      if (rec) this.records.set(rec.tag, rec)
    }
    // Invariant 1: an encryption cut short left chunks but no record (or, from its path, tags of a record deleted since).
    for (const id of await this.deps.spool.list()) if (!this.records.has(id.split('.')[0]!)) await this.deps.spool.remove(id)
    const orphans = (await this.deps.store.range([TAGS_KEY])).filter((e) => !this.records.has(e.key[2]!))
    if (orphans.length) await this.deps.store.write(orphans.map((e) => ({ key: e.key, value: undefined })))
  }

  /** [A2] Seals the files into the spool and queues them; resolves once they are queued (offline too). */
  async add(conv: ConvId, tag: string, ts: number, items: readonly Attachment[], caption: string, replyTo?: string, fwd?: true): Promise<string> {
    if (!items.length || items.length > MAX_FILES_PER_MESSAGE) throw new ClientError(ClientErrorCode.FILE_UNKNOWN, `1 to ${MAX_FILES_PER_MESSAGE} files per message`)
    const files: UploadFile[] = []
    const tagOps: WriteOp[] = []
    const early: EarlyUpload[] = []
    const { client, spool, reopen } = this.deps
    const perPut = this.deps.putChunks ?? BLOB_MAX_CHUNKS_PER_PUT
    let dropWindow: (() => void) | undefined
    const access = this.deps.access(conv)
    const prep = this.startPreparing(conv, tag, ts, items, caption)
    try {
      for (const [i, item] of items.entries()) {
        const name = safeName(item.name)
        if (!cleanName(name)) throw new ClientError(ClientErrorCode.FILE_UNKNOWN, 'no usable file name')
        let sending: EarlyUpload | undefined
        // [A2] A file this device can open again, sent while the link is up: no sealed copy, only
        // its chunks' tags; it is sealed again as it goes out (crypto [F3]). Otherwise the spool.
        const direct = item.origin !== undefined && reopen !== undefined && client !== undefined && access !== undefined && !this.stopped
        let tags: ChunkTags | undefined
        let window: SealedWindow | undefined
        const out: SealedOutput = direct ? { write: (index, sealed) => (window ?? tags!).write(index, sealed), flush: async () => undefined } : intoSpool(spool, spoolId(tag, i))
        const sealed = await sealFile(item.source, out, {
          signal: prep.abort.signal,
          onStart: (blob, real, chunks, secret) => {
            const stored = (n: number) => this.preparingProgress(tag, i, { sent: Math.min(item.source.size, n * FILE_CHUNK_BYTES) })
            let resealer: Promise<SourceResealer> | undefined
            // From its path: the newest sealed chunks from memory while the link keeps pace, else sealed again from the file.
            const body = direct
              ? async (start: number, count: number, into: Uint8Array) => window?.take(start, count, into) ?? (resealer ??= SourceResealer.open(item.source, secret, blob, item.source.size, tags!)).then((r) => r.read(start, count, into))
              : (start: number, count: number, into: Uint8Array) => spool.read(spoolId(tag, i), start, count, into)
            if (client && access && !this.stopped) early.push((sending = new EarlyUpload(client, access, blob, real, chunks, body, perPut, stored)))
            if (direct) {
              tags = new ChunkTags(real)
              // One window at a time (the file before goes on from its path), dropped when its early upload ends.
              dropWindow?.()
              const upload = sending
              window = new SealedWindow(Math.min(real, 2 * perPut + SEAL_STEP_CHUNKS), upload ? (index) => upload.readPast(index) : undefined, tags)
              const drop = () => void (window = undefined)
              dropWindow = drop
              void upload?.finished.then(drop)
            }
          },
          onProgress: (bytes) => {
            sending?.advance(bytes)
            this.preparingProgress(tag, i, { sealed: bytes })
          },
        })
        sending?.end()
        const verdict = await this.deps.check?.(conv, item.source, { name, type: item.type }, sealed.sha256)
        if (verdict?.level === 'block') throw new FileRefused(ClientErrorCode.FILE_BLOCKED, verdict)
        if (verdict?.level === 'warn' && !item.confirmed) throw new FileRefused(ClientErrorCode.FILE_NEEDS_CONFIRMATION, verdict)
        files.push({
          blob: sealed.blob, key: new Uint8Array(sealed.secret.key), nonce: new Uint8Array(sealed.secret.noncePrefix), name, type: cleanType(item.type), size: sealed.size, real: sealed.real, chunks: sealed.chunks, sha: sealed.sha256, stored: 0, ...(direct ? { src: item.origin! } : {}),
          ...(item.thumb && item.thumb.length <= MAX_THUMB_CHARS ? { thumb: item.thumb } : {}),
          ...(item.width !== undefined ? { w: Math.round(item.width) } : {}), ...(item.height !== undefined ? { h: Math.round(item.height) } : {}), ...(item.duration !== undefined ? { dur: Math.round(item.duration) } : {}),
        })
        if (direct) tagOps.push({ key: tagsKey(conv, tag, i), value: encodeRecord({ v: 1, tags: tags!.bytes }) })
      }
      if (prep.abort.signal.aborted) throw new ClientError(ClientErrorCode.UPLOAD_CANCELLED)
    } catch (err) {
      this.preparing.delete(tag)
      this.deps.changed()
      await Promise.all(early.map((e) => e.cancel()))
      for (let i = 0; i < items.length; i++) await this.deps.spool.remove(spoolId(tag, i))
      throw prep.abort.signal.aborted ? new ClientError(ClientErrorCode.UPLOAD_CANCELLED) : err
    } finally {
      dropWindow?.()
    }
    const rec: UploadRecord = { v: 1, conv, tag, ts, caption, files, ...(replyTo ? { replyTo } : {}), ...(fwd ? { fwd } : {}) }
    if (early.length) this.early.set(tag, early)
    // With the record, in the same write: the tags a file sent from its path is sealed again against.
    await this.save(rec, tagOps)
    this.preparing.delete(tag)
    this.deps.changed()
    this.kick()
    return tag
  }

  list(conv?: ConvId): UploadView[] {
    const recorded = [...this.records.values()].filter((r) => !conv || r.conv === conv).map((r) => this.view(r))
    const preparing = [...this.preparing.values()].map((p) => p.view).filter((v) => !conv || v.conv === conv)
    return [...recorded, ...preparing].sort((a, b) => a.ts - b.ts)
  }

  private startPreparing(conv: ConvId, tag: string, ts: number, items: readonly Attachment[], caption: string) {
    const view: UploadView = {
      id: tag, conv, caption, ts, state: 'preparing',
      files: items.map((item) => ({ name: safeName(item.name), type: cleanType(item.type), size: item.source.size, sent: 0, sealed: 0, ...(item.thumb && item.thumb.length <= MAX_THUMB_CHARS ? { thumb: item.thumb } : {}) })),
    }
    const prep = { view, abort: new AbortController(), shownAt: 0 }
    this.preparing.set(tag, prep)
    this.deps.changed()
    return prep
  }

  /** A preparing upload moved on; `uploads` is emitted at most every PROGRESS_MS (a GiB seals in 1,024 steps), and when a file is done. */
  private preparingProgress(tag: string, i: number, change: { sent?: number; sealed?: number }): void {
    const prep = this.preparing.get(tag)
    if (!prep) return
    const files = prep.view.files.map((f, j) => (j === i ? { ...f, ...(change.sent !== undefined ? { sent: Math.max(f.sent, change.sent) } : {}), ...(change.sealed !== undefined ? { sealed: change.sealed } : {}) } : f))
    prep.view = { ...prep.view, files }
    const now = Date.now()
    if (now - prep.shownAt < PROGRESS_MS && change.sealed !== files[i]!.size) return
    prep.shownAt = now
    this.deps.changed()
  }

  get size(): number {
    return this.records.size
  }

  /** Uploads that go out by themselves (not those refused for good): counted in `status.pending`. */
  get waiting(): number {
    let n = 0
    for (const r of this.records.values()) if (!r.failed) n++
    return n
  }

  /** Cancels an upload: nothing is sent, the spool is freed, and what the server holds of it is deleted. */
  async cancel(id: string): Promise<void> {
    // Still being prepared: sealing stops at its next step and `add` rejects with M538; what went out early is deleted.
    this.preparing.get(id)?.abort.abort()
    // Not in the middle of sealing its file into the spool as the outbox stops: after it.
    await this.keeping
    const rec = this.records.get(id)
    if (!rec) return
    this.aborts.get(id)?.abort()
    await Promise.all((this.early.get(id) ?? []).map((e) => e.stop()))
    this.early.delete(id)
    this.records.delete(id)
    await this.deps.store.write([{ key: keyOf(rec), value: undefined }, ...tagDeletes(rec)])
    await this.closeResealers(rec)
    for (let i = 0; i < rec.files.length; i++) await this.deps.spool.remove(spoolId(id, i))
    this.deps.changed()
    const access = this.deps.access(convOf(rec))
    // Best effort: a blob never created answers B404; one left behind is collected as incomplete (protocol [B9]).
    if (access && this.deps.client) for (const f of rec.files) await this.deps.client.remove(access, f.blob as BlobId).catch(() => undefined)
  }

  /** The person's Retry on a failed upload. */
  retry(id: string): void {
    const rec = this.records.get(id)
    if (!rec?.failed) return
    const { failed: _, ...again } = rec
    void this.save(again).then(() => this.kick())
  }

  /** Try now (the link is back, a key arrived). */
  kick(): void {
    if (this.stopped) return
    this.delayMs = 0
    this.wake?.()
    this.running ??= this.run().finally(() => (this.running = undefined))
  }

  /**
   * Stops sending (once; a second call waits for the first). `keepCopies` (default true): files
   * still to go out from their path are first sealed into the spool ([A2]); a wipe, which stops
   * only to erase and start again, skips it.
   */
  stop(opts: { keepCopies?: boolean } = {}): Promise<void> {
    this.stopping ??= this.halt(opts.keepCopies ?? true)
    return this.stopping
  }

  private async halt(keepCopies: boolean): Promise<void> {
    this.stopped = true
    for (const p of this.preparing.values()) p.abort.abort()
    for (const a of this.aborts.values()) a.abort()
    await Promise.all([...this.early.values()].flat().map((e) => e.stop()))
    this.wake?.()
    await this.running
    await this.writes
    if (keepCopies) await (this.keeping = this.keepCopies())
  }

  /**
   * [A2] Stopping while files sent from their path are still to go out: each is sealed again
   * (checked against its tags, crypto [F3]) into the spool and its record no longer names the
   * path, so what waits on this device no longer depends on the file staying where it was (a
   * script that deletes the file after `send-file` gave up waiting). A file that changed since
   * fails the upload with M540.
   */
  private async keepCopies(): Promise<void> {
    // A device that cannot open files again (another command on the same home) leaves them as they are.
    if (!this.deps.reopen) return
    for (const rec of [...this.records.values()]) {
      if (!rec.files.some((f) => f.src) || rec.failed === ClientErrorCode.FILE_CHANGED) continue
      const copied: number[] = []
      try {
        for (const [i, f] of rec.files.entries()) if (f.src) copied.push(i), await this.copyIntoSpool(rec, i, f)
        const files = rec.files.map(({ src: _, ...f }) => f)
        await this.save({ ...rec, files }, tagDeletes(rec))
      } catch (err) {
        // Not copied: its partial spool entries go, and the record keeps its path (the next run goes on
        // from the file); a file that changed fails the upload.
        for (const i of copied) await this.deps.spool.remove(spoolId(rec.tag, i)).catch(() => undefined)
        if (err instanceof ClientError && err.code === ClientErrorCode.FILE_CHANGED) await this.save({ ...rec, failed: err.code })
      } finally {
        await this.closeResealers(rec)
      }
    }
  }

  private async copyIntoSpool(rec: UploadRecord, i: number, f: UploadFile): Promise<void> {
    const resealer = await this.resealerFor(rec, i, f)
    const out = intoSpool(this.deps.spool, spoolId(rec.tag, i))
    // Two buffers take turns: the spool may still be writing the one before (Spool.write).
    const buffers = [new Uint8Array(SEAL_STEP_CHUNKS * FILE_SEALED_CHUNK_BYTES), new Uint8Array(SEAL_STEP_CHUNKS * FILE_SEALED_CHUNK_BYTES)]
    for (let first = 0; first < f.real; first += SEAL_STEP_CHUNKS) {
      const count = Math.min(SEAL_STEP_CHUNKS, f.real - first)
      await out.write(first, await resealer.read(first, count, buffers[(first / SEAL_STEP_CHUNKS) & 1]))
    }
    await out.flush()
  }

  /** The file `i` of an upload sent from its path, opened again with its tags (once per upload run). */
  private resealerFor(rec: UploadRecord, i: number, f: UploadFile): Promise<SourceResealer> {
    const id = spoolId(rec.tag, i)
    let held = this.resealers.get(id)
    if (!held) {
      held = this.openResealer(rec, i, f)
      this.resealers.set(id, held)
      held.catch(() => this.resealers.delete(id))
    }
    return held.then((h) => h.resealer)
  }

  private async openResealer(rec: UploadRecord, i: number, f: UploadFile): Promise<{ resealer: SourceResealer; source: ReopenedSource }> {
    const gone = (why: string) => new ClientError(ClientErrorCode.FILE_CHANGED, why)
    const { reopen } = this.deps
    if (!reopen || !f.src) throw gone('this device cannot open the file again')
    const blob = parseBlobId(f.blob)
    const secret = parseFileSecret(f.key, f.nonce)
    const stored = await this.deps.store.get(tagsKey(rec.conv, rec.tag, i))
    const tags = stored && decodeRecord(stored, tagsSchema)
    if (!blob || !secret || !tags || tags.tags.length !== f.real * FILE_TAG_BYTES) throw gone('the record of what was sealed is missing')
    // Gone or moved: M540. Any other failure to open it (a full descriptor table) may pass: thrown as it is, and retried.
    const source = await reopen(f.src).catch((err: unknown) => Promise.reject(['ENOENT', 'ENOTDIR', 'EISDIR'].includes(String((err as { code?: unknown } | undefined)?.code)) ? gone('the file is no longer there') : err))
    try {
      return { resealer: await SourceResealer.open(source, secret, blob, f.size, new ChunkTags(f.real, tags.tags)), source }
    } catch (err) {
      await source.close().catch(() => undefined)
      throw err
    }
  }

  private async closeResealers(rec: UploadRecord): Promise<void> {
    for (let i = 0; i < rec.files.length; i++) {
      const held = this.resealers.get(spoolId(rec.tag, i))
      this.resealers.delete(spoolId(rec.tag, i))
      await held?.then((h) => h.source.close()).catch(() => undefined)
    }
  }

  /** Settles once nothing is left that can be sent now (tests, the CLI). */
  async idle(): Promise<void> {
    while (this.running) await this.running
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const next = [...this.records.values()].filter((r) => !r.failed).sort((a, b) => a.ts - b.ts)
      if (!next.length) return
      let progressed = false
      for (const rec of next) {
        if (this.stopped) return
        if (await this.send(rec)) progressed = true
      }
      if (!progressed && !this.stopped) {
        if ([...this.records.values()].every((r) => r.failed)) return
        const { baseMs, maxMs } = this.deps.backoff ?? { baseMs: 1000, maxMs: 30_000 }
        this.delayMs = Math.min(maxMs, this.delayMs ? this.delayMs * 2 : baseMs)
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, this.delayMs)
          this.wake = () => (clearTimeout(t), resolve())
        })
        this.wake = undefined
      }
    }
  }

  /** One upload, as far as it goes now: true when it finished (or was given up for good). */
  private async send(rec: UploadRecord): Promise<boolean> {
    const { client } = this.deps
    const access = this.deps.access(convOf(rec))
    if (!client || !access) return this.setState(rec.tag, 'waiting'), false
    const abort = new AbortController()
    this.aborts.set(rec.tag, abort)
    this.setState(rec.tag, 'sending')
    try {
      // What went out while the files were sealed ends with its PUT in flight; from its end on, as after any interruption.
      const early = this.early.get(rec.tag)
      if (early) {
        await Promise.all(early.map((e) => e.finished))
        this.early.delete(rec.tag)
      }
      for (const [i, f] of rec.files.entries()) {
        let stored = (await client.create(access, f.blob as BlobId, f.chunks)).stored
        // Shown at once: what went out before (an early upload, an earlier run).
        if (stored !== (this.sent.get(rec.tag)?.[i] ?? f.stored)) await this.progress(rec, i, stored)
        const most = this.deps.putChunks ?? BLOB_MAX_CHUNKS_PER_PUT
        // Chunks per PUT adapt to the link: halved when a PUT took over 30 s (the server bounds a
        // request to 130 s), doubled again when one is quick.
        let per = this.perPut.get(rec.tag) ?? most
        // Two PUTs in flight while they go fast (the server appends them in turn, [B5]): one
        // crosses the link while the other is made durable. On a slow link, one at a time.
        const inflight: { end: number; done: Promise<{ stored: number; ms: number }> }[] = []
        let next = stored
        let depth = 1
        while (stored < f.chunks) {
          while (next < f.chunks && inflight.length < depth) {
            if (abort.signal.aborted) return false
            const count = Math.min(per, f.chunks - next)
            const body = await this.body(rec, i, f, next, count)
            const t0 = Date.now()
            const done = client.put(access, f.blob as BlobId, next, body, abort.signal).then((s) => ({ stored: s.stored, ms: Date.now() - t0 }))
            done.catch(() => undefined)
            inflight.push({ end: next + count, done })
            next += count
          }
          const put = inflight.shift()!
          const answer = await put.done
          stored = answer.stored
          depth = answer.ms < 2_000 ? 2 : 1
          per = answer.ms > 30_000 ? Math.max(8, per >> 1) : answer.ms < 2_000 ? Math.min(most, per * 2) : per
          this.perPut.set(rec.tag, per)
          await this.progress(rec, i, stored)
          // The server kept less than was sent (a body cut short): go on from what it holds.
          if (stored < put.end) {
            await Promise.allSettled(inflight.splice(0).map((x) => x.done))
            next = stored
          }
        }
        await this.progress(rec, i, stored)
      }
      if (!this.records.has(rec.tag)) return true
      // Invariant 2: the message first, then the record; `write` is a no-op for a tag it has written.
      await this.deps.write(this.records.get(rec.tag)!)
      this.records.delete(rec.tag)
      await this.deps.store.write([{ key: keyOf(rec), value: undefined }, ...tagDeletes(rec)])
      await this.closeResealers(rec)
      this.states.delete(rec.tag)
      this.sent.delete(rec.tag)
      this.perPut.delete(rec.tag)
      this.deps.changed()
      // After saying so: unlinking a large synced spool file takes a while (0.36 s for 1 GiB
      // here), and the upload is done. An entry a stop cuts off has no record and goes at start.
      for (let i = 0; i < rec.files.length; i++) await this.deps.spool.remove(spoolId(rec.tag, i))
      return true
    } catch (err) {
      if (!this.records.has(rec.tag)) return true
      // Stopped (the app closes) or cancelled mid-PUT: not a refusal; it resumes on the next start.
      if (this.stopped || abort.signal.aborted) return false
      const retry = err instanceof BlobError ? err.retry : !(err instanceof ClientError)
      const code = err instanceof ClientError ? err.code : ClientErrorCode.FILE_UNAVAILABLE
      if (!retry) {
        // Opened again on Retry (the file may be back as it was).
        await this.closeResealers(rec)
        await this.save({ ...this.records.get(rec.tag)!, failed: code })
        this.setState(rec.tag, 'failed', code)
        return true
      }
      // A PUT cut off (timeout, lost link) may have been too large for the link: smaller next time.
      this.perPut.set(rec.tag, Math.max(8, (this.perPut.get(rec.tag) ?? this.deps.putChunks ?? BLOB_MAX_CHUNKS_PER_PUT) >> 1))
      this.setState(rec.tag, 'waiting', code)
      return false
    } finally {
      this.aborts.delete(rec.tag)
    }
  }

  /** Sealed chunks from the spool, or sealed again from the file's path; past the file's own chunks, filler (crypto [F4]). */
  private async body(rec: UploadRecord, i: number, f: UploadFile, start: number, count: number): Promise<Uint8Array> {
    const own = Math.max(0, Math.min(count, f.real - start))
    const read = async (n: number) => (f.src ? (await this.resealerFor(rec, i, f)).read(start, n) : this.deps.spool.read(spoolId(rec.tag, i), start, n))
    if (own === count) return read(count)
    const out = new Uint8Array(count * FILE_SEALED_CHUNK_BYTES)
    if (own) out.set(await read(own), 0)
    for (let k = own; k < count; k++) out.set(fileFillerChunk(), k * FILE_SEALED_CHUNK_BYTES)
    return out
  }

  private async progress(rec: UploadRecord, i: number, stored: number): Promise<void> {
    const current = this.records.get(rec.tag)
    if (!current || this.stopped) return
    const f = current.files[i]!
    const sent = this.sent.get(rec.tag) ?? current.files.map((x) => x.stored)
    sent[i] = stored
    this.sent.set(rec.tag, sent)
    if (f.stored !== stored) await this.save({ ...current, files: current.files.map((x, k) => (k === i ? { ...x, stored } : x)) })
    this.deps.changed()
  }

  /** Record writes go one at a time, in call order (with `also` in the same write); `stop` waits for the last. */
  private async save(rec: UploadRecord, also: readonly WriteOp[] = []): Promise<void> {
    this.records.set(rec.tag, rec)
    const write = this.writes.then(() => this.deps.store.write([{ key: keyOf(rec), value: encodeRecord(rec) }, ...also]))
    this.writes = write.catch(() => undefined)
    await write
    if (!rec.failed && this.states.get(rec.tag)?.state === 'failed') this.states.delete(rec.tag)
  }

  private setState(tag: string, state: UploadView['state'], error?: Code): void {
    const before = this.states.get(tag)
    if (before?.state === state && before.error === error) return
    this.states.set(tag, { state, ...(error ? { error } : {}) })
    this.deps.changed()
  }

  private view(r: UploadRecord): UploadView {
    const s = r.failed ? { state: 'failed' as const, error: r.failed as Code } : (this.states.get(r.tag) ?? { state: 'queued' as const })
    const sent = this.sent.get(r.tag)
    return {
      id: r.tag, conv: convOf(r), caption: r.caption, ts: r.ts, ...s,
      files: r.files.map((f, i) => ({ name: f.name, type: f.type, size: f.size, sent: Math.min(f.size, Math.min(sent?.[i] ?? f.stored, f.real) * FILE_CHUNK_BYTES), ...(f.thumb ? { thumb: f.thumb } : {}) })),
    }
  }
}

/** A file the checks refused (or that needs the second step), with the verdict and its reasons. */
export class FileRefused extends ClientError {
  constructor(code: ClientErrorCode, readonly verdict: FileVerdict) {
    super(code, `${verdict.name}: ${verdict.reasons.map((r) => r.text).join('; ')}`)
  }
}

/** Deletes of the tags an upload's files sent from their path were sealed again against. */
const tagDeletes = (rec: UploadRecord): WriteOp[] => rec.files.flatMap((f, i) => (f.src ? [{ key: tagsKey(rec.conv, rec.tag, i), value: undefined }] : []))

/** A declared type kept only when it is a plain `type/subtype`; else unknown. */
function cleanType(type: string): string {
  const t = type.trim().toLowerCase().split(';')[0]!.trim()
  return /^[\w.+-]{1,63}\/[\w.+-]{1,63}$/.test(t) ? t : 'application/octet-stream'
}
