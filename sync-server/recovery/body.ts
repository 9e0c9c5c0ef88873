import type { IncomingMessage } from 'node:http'

export type BodyResult = { readonly ok: true; readonly bytes: Uint8Array } | { readonly ok: false; readonly reason: 'too-large' | 'timeout' | 'aborted' }

export interface BodyLimits {
  readonly maxBytes: number
  /** Longest pause between two chunks. */
  readonly idleTimeoutMs: number
  /** Longest time for the whole body. */
  readonly timeoutMs: number
}

/**
 * [S16] Reads a request body, never more than `maxBytes`: the first chunk beyond it stops the
 * read (the stream is paused, nothing more is kept) and resolves `too-large`. A body that pauses
 * longer than `idleTimeoutMs`, or takes longer than `timeoutMs`, resolves `timeout`. The caller
 * answers and closes the connection; the unread rest is never read.
 */
export function readBoundedBody(req: IncomingMessage, limits: BodyLimits): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let length = 0
    let idle: NodeJS.Timeout | undefined
    const deadline = setTimeout(() => finish({ ok: false, reason: 'timeout' }), limits.timeoutMs)
    const armIdle = () => {
      clearTimeout(idle)
      idle = setTimeout(() => finish({ ok: false, reason: 'timeout' }), limits.idleTimeoutMs)
    }
    const onData = (chunk: Buffer) => {
      length += chunk.length
      if (length > limits.maxBytes) return finish({ ok: false, reason: 'too-large' })
      chunks.push(chunk)
      armIdle()
    }
    const onEnd = () => finish({ ok: true, bytes: new Uint8Array(Buffer.concat(chunks, length)) })
    const onClose = () => finish({ ok: false, reason: 'aborted' })
    const finish = (result: BodyResult) => {
      clearTimeout(deadline)
      clearTimeout(idle)
      req.off('data', onData).off('end', onEnd).off('close', onClose).off('error', onClose)
      if (!result.ok) {
        req.pause()
        chunks.length = 0
      }
      resolve(result)
    }
    req.on('data', onData).on('end', onEnd).on('close', onClose).on('error', onClose)
    armIdle()
  })
}
