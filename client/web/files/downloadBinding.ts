import { onCleanup } from 'solid-js'
import { createStore } from 'solid-js/store'
import { ClientError } from '../../core/errors.js'
import type { FileVerdict } from '../../core/files/check/index.js'
import { safeName, type FileRef } from '../../core/files/ref.js'
import type { Messenger } from '../../core/messenger.js'
import type { ConvId } from '../../../protocol/index.js'
import { blobSource } from './blobSource.js'
import { checkIncoming, reasonsText } from './checks.js'
import { downloadSink } from './downloadSink.js'
import type { DownloadedFile } from './opfsSink.js'
import { rangeSource } from './rangeSource.js'
import { streamUrl } from './streamPlayback.js'

/**
 * A download: `downloading` → `checking` → `ready`, or `warned` (the check asks for a second
 * step), `blocked` (not opened; nothing kept) or `failed` (with Retry). A stream skips
 * `downloading`: it is checked by range, then plays.
 */
export type TransferState = 'idle' | 'downloading' | 'checking' | 'ready' | 'warned' | 'blocked' | 'failed'

export interface Transfer {
  readonly state: TransferState
  /** Content bytes received so far. */
  readonly received: number
  /** Once `ready` (or `warned`): the downloaded file as an object URL (disk-backed), or the stream's URL. */
  readonly url?: string
  /** Why the check warned or blocked. */
  readonly reasons?: string
  readonly error?: string
}

const IDLE: Transfer = { state: 'idle', received: 0 }
const playable = (type: string) => /^(video|audio)\//.test(type)
const messageOf = (err: unknown) => (err instanceof ClientError ? err.message : `Something went wrong: ${err instanceof Error ? err.message : String(err)}`)

interface Held {
  file?: DownloadedFile
  url?: string
  abort?: AbortController
}

/**
 * [W6][W7][W8] Received files of one conversation for Solid. A download goes to disk, is
 * checked, and only then opened or saved; a video streams instead ([W7]) where a service worker
 * controls the page, checked first by range. Everything made here (object URLs, downloaded
 * files, stream tokens) is released when the conversation closes.
 */
export function bindDownloads(messenger: Messenger, conv: ConvId) {
  const [downloads, setDownloads] = createStore<Record<string, Transfer>>({})
  const [streams, setStreams] = createStore<Record<string, Transfer>>({})
  const held = new Map<string, Held>()
  const tokens = new Map<string, () => void>()
  /** Files the person asked to save: saved as soon as they are ready (after a warning, on "Save anyway"). */
  const saving = new Set<string>()
  const hold = (blob: string): Held => held.get(blob) ?? (held.set(blob, {}), held.get(blob)!)

  function drop(blob: string): void {
    const h = held.get(blob)
    held.delete(blob)
    h?.abort?.abort()
    if (h?.url) URL.revokeObjectURL(h.url)
    void h?.file?.remove().catch(() => undefined)
  }
  onCleanup(() => {
    for (const blob of [...held.keys()]) drop(blob)
    for (const release of tokens.values()) release()
  })

  /** A verdict applied: blocked drops what was fetched; warned waits for the second step. */
  function judged(verdict: FileVerdict, url: string, size: number): Transfer {
    if (verdict.level === 'block') return { state: 'blocked', received: 0, reasons: reasonsText(verdict) }
    if (verdict.level === 'warn') return { state: 'warned', received: size, url, reasons: reasonsText(verdict) }
    return { state: 'ready', received: size, url }
  }

  function saveIfAsked(ref: FileRef): void {
    const t = downloads[ref.blob]
    if (!saving.has(ref.blob) || t?.state !== 'ready' || !t.url) return
    saving.delete(ref.blob)
    const a = document.createElement('a')
    a.href = t.url
    a.download = safeName(ref.name)
    a.rel = 'noopener'
    document.body.append(a)
    a.click()
    a.remove()
  }

  /** Downloads to disk (the engine matches the content's SHA-256), then runs the file check. */
  async function download(ref: FileRef): Promise<void> {
    const state = downloads[ref.blob]?.state
    if (state && state !== 'idle' && state !== 'failed') return
    const abort = new AbortController()
    hold(ref.blob).abort = abort
    setDownloads(ref.blob, { state: 'downloading', received: 0 })
    try {
      const sink = await downloadSink(ref.blob, ref.type)
      await messenger.downloadFile(conv, ref, sink, { signal: abort.signal, onProgress: (received) => setDownloads(ref.blob, { state: 'downloading', received }) })
      const file = await sink.done()
      hold(ref.blob).file = file
      setDownloads(ref.blob, { state: 'checking', received: ref.size })
      const verdict = await checkIncoming(messenger, conv, blobSource(file.file), ref)
      if (abort.signal.aborted) return
      const url = URL.createObjectURL(file.file)
      hold(ref.blob).url = url
      const t = judged(verdict, url, ref.size)
      if (t.state === 'blocked') drop(ref.blob), saving.delete(ref.blob)
      setDownloads(ref.blob, t)
      saveIfAsked(ref)
    } catch (err) {
      const cancelled = abort.signal.aborted
      drop(ref.blob)
      setDownloads(ref.blob, cancelled ? IDLE : { state: 'failed', received: 0, error: messageOf(err) })
    }
  }

  /** [W7] A video checked by range (its head and a few pieces), then streamed; without a service worker, downloaded first. */
  async function play(ref: FileRef): Promise<void> {
    const state = streams[ref.blob]?.state
    if (state && state !== 'idle' && state !== 'failed') return
    const source = rangeSource(messenger, conv, ref)
    const stream = playable(ref.type) ? streamUrl({ size: ref.size, type: ref.type, read: (start, end) => source.read(start, end - start) }) : undefined
    if (!stream) return download(ref)
    tokens.get(ref.blob)?.()
    tokens.set(ref.blob, stream.release)
    setStreams(ref.blob, { state: 'checking', received: 0 })
    try {
      const t = judged(await checkIncoming(messenger, conv, source, ref), stream.url, 0)
      if (t.state === 'blocked') stream.release()
      setStreams(ref.blob, t)
    } catch (err) {
      stream.release()
      setStreams(ref.blob, { state: 'failed', received: 0, error: messageOf(err) })
    }
  }

  return {
    /** The file's download. */
    download: (ref: FileRef): Transfer => downloads[ref.blob] ?? IDLE,
    /** [W7] The video's stream. */
    stream: (ref: FileRef): Transfer => streams[ref.blob] ?? IDLE,
    /** Opens a photo or a file: download, then check. */
    open: (ref: FileRef) => void download(ref),
    play: (ref: FileRef) => void play(ref),
    /** The deliberate second step after a warning: "Open anyway", "Play anyway", "Save anyway". */
    allow(ref: FileRef): void {
      const d = downloads[ref.blob]
      if (d?.state === 'warned') setDownloads(ref.blob, { ...d, state: 'ready' })
      const s = streams[ref.blob]
      if (s?.state === 'warned') setStreams(ref.blob, { ...s, state: 'ready' })
      saveIfAsked(ref)
    },
    cancel(ref: FileRef): void {
      saving.delete(ref.blob)
      drop(ref.blob)
      setDownloads(ref.blob, IDLE)
    },
    /** Saves under the file's (cleaned) name through the browser's download; downloaded and checked first. */
    save(ref: FileRef): void {
      saving.add(ref.blob)
      if (downloads[ref.blob]?.state === 'ready') saveIfAsked(ref)
      else void download(ref)
    },
  }
}

export type DownloadsBinding = ReturnType<typeof bindDownloads>
