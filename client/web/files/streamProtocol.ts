/**
 * [W7] The messages between the service worker and the page for streaming playback. The worker
 * asks for a window of a registered stream's content over a MessageChannel port; the page
 * answers with the bytes (opened by the engine: keys never reach the worker), the stream's size
 * and its type. Both sides parse what they receive. public/stream-sw.js holds the worker's side
 * in plain JavaScript, with these same shapes.
 */
export const STREAM_PATH = '/files/stream/'
export const STREAM_READ = 'fieldchat-stream-read'
/** The most one answer carries (the engine's ranged reads allow 8 MiB). */
export const STREAM_WINDOW_BYTES = 1024 * 1024

export interface StreamRead {
  readonly type: typeof STREAM_READ
  readonly token: string
  readonly start: number
  /** Exclusive; at most {@link STREAM_WINDOW_BYTES} past `start`. */
  readonly end: number
}

export type StreamAnswer =
  | { readonly ok: true; readonly size: number; readonly type: string; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly status: 404 | 416 | 502 }

const TOKEN = /^[A-Za-z0-9_-]{16,64}$/

/** Inbound from the service worker: a read request, or undefined. */
export function parseStreamRead(v: unknown): StreamRead | undefined {
  if (!v || typeof v !== 'object') return undefined
  const r = v as Record<string, unknown>
  if (r.type !== STREAM_READ || typeof r.token !== 'string' || !TOKEN.test(r.token)) return undefined
  const { start, end } = r
  if (typeof start !== 'number' || typeof end !== 'number' || !Number.isSafeInteger(start) || !Number.isSafeInteger(end)) return undefined
  if (start < 0 || end <= start || end - start > STREAM_WINDOW_BYTES) return undefined
  return { type: STREAM_READ, token: r.token, start, end }
}

export const isStreamToken = (s: string): boolean => TOKEN.test(s)
