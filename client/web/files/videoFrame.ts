import { fit, thumbnail } from './canvas.js'
import { streamUrl } from './streamPlayback.js'
import { blobSource } from './blobSource.js'

export interface VideoInfo {
  readonly thumb?: string
  readonly width?: number
  readonly height?: number
  /** Seconds; unknown for recordings that do not say (a live WebM). */
  readonly duration?: number
}

const POSTER_AT_S = 0.1
const LOAD_MS = 15_000
const SEEK_MS = 3_000

function once(target: EventTarget, type: string, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(false), ms)
    const onError = () => done(false)
    const onEvent = () => done(true)
    function done(ok: boolean) {
      clearTimeout(timer)
      target.removeEventListener(type, onEvent)
      target.removeEventListener('error', onError)
      resolve(ok)
    }
    target.addEventListener(type, onEvent)
    target.addEventListener('error', onError)
  })
}

/**
 * [W3] A video's poster frame (~0.1 s in) as a thumbnail, its size and its duration, from a
 * `<video>` that reads the file as it needs (through the service worker's stream when there is
 * one, an object URL otherwise): a 300 MB video is never read whole. Bounded in time; whatever
 * could not be learned is left out.
 */
export async function videoInfo(file: File): Promise<VideoInfo> {
  const stream = streamUrl({ size: file.size, type: file.type, read: (start, end) => blobSource(file).read(start, end - start) })
  const url = stream?.url ?? URL.createObjectURL(file)
  const video = document.createElement('video')
  video.muted = true
  video.playsInline = true
  video.preload = 'auto'
  try {
    const loaded = once(video, 'loadeddata', LOAD_MS)
    video.src = url
    if (!(await loaded) || !video.videoWidth) return {}
    const duration = Number.isFinite(video.duration) && video.duration > 0 ? video.duration : undefined
    const seeked = once(video, 'seeked', SEEK_MS)
    video.currentTime = duration ? Math.min(POSTER_AT_S, duration / 2) : POSTER_AT_S
    await seeked // a recording that cannot seek keeps its first frame
    const size = fit(video.videoWidth, video.videoHeight, 10_000)
    const thumb = await thumbnail(video, size.width, size.height).catch(() => undefined)
    return { ...(thumb ? { thumb } : {}), width: video.videoWidth, height: video.videoHeight, ...(duration ? { duration } : {}) }
  } finally {
    video.removeAttribute('src')
    video.load()
    if (stream) stream.release()
    else URL.revokeObjectURL(url)
  }
}
