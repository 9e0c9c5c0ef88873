import type { ServerResponse } from 'node:http'

/**
 * [B7] Writes `pieces` to `res` and ends it, asking for the next piece only once the one before
 * has been handed to the socket (its write callback): a store may reuse a piece's memory then
 * (BlobStore.read), and a slow reader slows the reads (backpressure). False when the response
 * was cut (the client went away, or the store failed mid-way: the response is destroyed, as a
 * response whose length was promised cannot be finished).
 */
export async function pump(pieces: AsyncIterable<Uint8Array>, res: ServerResponse): Promise<boolean> {
  const input = pieces[Symbol.asyncIterator]()
  let closed = res.destroyed
  let onClose: (() => void) | undefined
  const gone = new Promise<void>((resolve) => (onClose = resolve))
  const mark = () => {
    closed = true
    onClose?.()
  }
  res.once('close', mark)
  try {
    for (;;) {
      const next = await input.next()
      if (next.done) break
      if (closed) return false
      const written = new Promise<void>((resolve, reject) => res.write(next.value, (err) => (err ? reject(err) : resolve())))
      // A connection cut may leave a write's callback uncalled: the close ends the wait.
      await Promise.race([written, gone])
      if (closed) return false
    }
    await new Promise<void>((resolve) => res.end(resolve))
    return true
  } catch {
    res.destroy()
    return false
  } finally {
    res.off('close', mark)
    await input.return?.(undefined).catch(() => undefined)
  }
}
