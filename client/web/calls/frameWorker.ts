/// <reference lib="webworker" />
import { FrameTransform, type FrameKeysMessage } from './frameTransform.js'

/**
 * [W33] The frame transforms of a call (RTCRtpScriptTransform): every encoded audio and video frame
 * this device sends is sealed (crypto [X2], SFrame) before it leaves, and every frame received is
 * opened before it is decoded. Keys come from the page on each transform's own port:
 * `{send: {kid, key, slot}}` to a sender (its base key and slot for that KID), `{keys: [{kid, key}]}`
 * to a receiver (its sender's keys; the last few KIDs are kept, so frames sealed just before a
 * rotation still open). Fail closed: a sender without a key drops its frames, never sends them in
 * the clear; a frame that does not open is dropped, and one under a KID not given yet makes the
 * page ask the sender for its keys again (`{missing: true}` on the port).
 */
interface Options {
  readonly role: 'send' | 'receive'
  readonly port: MessagePort
}
type Encoded = RTCEncodedVideoFrame | RTCEncodedAudioFrame

/** Codec bytes left readable (authenticated): a VP8 key frame's first 10, a delta frame's 3, an audio frame's 1. */
function metadataBytes(frame: Encoded): number {
  if ('type' in frame && (frame.type === 'key' || frame.type === 'delta')) return frame.type === 'key' ? 10 : 3
  return 1
}

const scope = self as unknown as DedicatedWorkerGlobalScope & { onrtctransform: ((e: Event & { transformer: RTCRtpScriptTransformer }) => void) | null }

scope.onrtctransform = (event) => {
  const t = event.transformer
  const opts = t.options as Options
  const keys = new FrameTransform(opts.role)
  // A frame under a KID this transform was not given: the page asks its sender again (at most every 500 ms).
  let askedAt = 0
  opts.port.onmessage = (e: MessageEvent<FrameKeysMessage>) => void keys.give(e.data)
  const transform = new TransformStream<Encoded, Encoded>({
    async transform(frame, out) {
      const done = await keys.frame(new Uint8Array(frame.data), metadataBytes(frame))
      if (done.missing && Date.now() - askedAt > 500) {
        askedAt = Date.now()
        opts.port.postMessage({ missing: true })
      }
      if (!done.out) return
      // The cipher's output is a buffer of its own (concat): handed over as it is, not copied again.
      const bytes = done.out
      frame.data = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer ? bytes.buffer : bytes.slice().buffer
      out.enqueue(frame)
    },
  })
  void t.readable.pipeThrough(transform).pipeTo(t.writable).catch(() => undefined)
}
