import { base64url } from '../base64url.js'
import { parseStreamRead, STREAM_PATH, type StreamAnswer } from './streamProtocol.js'

/** What a stream plays from: the engine's ranged reads of a received file, or a local File. */
export interface RangeSource {
  readonly size: number
  readonly type: string
  /** Content bytes `start` to `end` (exclusive). */
  read(start: number, end: number): Promise<Uint8Array>
}

/** Only audio and video types are served: the stream URL is same-origin, so a sender's `text/html` must never be. */
const MEDIA_TYPE = /^(video|audio)\/[\w.+-]{1,63}$/

const streams = new Map<string, RangeSource>()
let listening = false

/** A page the service worker controls can stream; elsewhere (dev, a first load) files are downloaded, then played. */
export const canStream = (): boolean => typeof navigator !== 'undefined' && !!navigator.serviceWorker?.controller

/**
 * [W7] A same-origin URL a `<video>` plays while the file downloads: the service worker answers
 * its range requests with windows it asks this page for, and the page reads them through the
 * engine. Undefined where no service worker controls the page. `release` forgets the token (the
 * URL then answers 404).
 */
export function streamUrl(source: RangeSource): { url: string; release(): void } | undefined {
  if (!canStream()) return undefined
  listen()
  const token = base64url(crypto.getRandomValues(new Uint8Array(18)))
  streams.set(token, source)
  return { url: `${STREAM_PATH}${token}`, release: () => void streams.delete(token) }
}

function listen(): void {
  if (listening) return
  listening = true
  navigator.serviceWorker.addEventListener('message', (event: MessageEvent) => {
    // Inbound from the worker: parsed, and answered only for a token this page registered.
    const read = parseStreamRead(event.data)
    const port = event.ports[0]
    if (!read || !port) return
    void answer(read.token, read.start, read.end).then((a) => port.postMessage(a, a.ok ? [a.bytes.buffer] : []))
  })
}

async function answer(token: string, start: number, end: number): Promise<StreamAnswer> {
  const source = streams.get(token)
  if (!source) return { ok: false, status: 404 }
  if (start >= source.size) return { ok: false, status: 416 }
  try {
    const bytes = await source.read(start, Math.min(end, source.size))
    // A copy that owns its whole buffer, so it can be transferred without detaching anything else.
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice()
    return { ok: true, size: source.size, type: MEDIA_TYPE.test(source.type) ? source.type : 'application/octet-stream', bytes: own }
  } catch {
    return { ok: false, status: 502 }
  }
}
