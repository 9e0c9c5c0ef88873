import { createHash, randomFillSync } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { finished } from 'node:stream/promises'

const BLOCK = 1024 * 1024

/** `bytes` random bytes written to `path` a MiB at a time (never whole in memory); their SHA-256, hex. */
export async function writeRandomFile(path: string, bytes: number): Promise<string> {
  const out = createWriteStream(path)
  const hash = createHash('sha256')
  for (let at = 0; at < bytes; at += BLOCK) {
    // A fresh buffer per write: the stream keeps a reference until the bytes are on their way.
    const block = randomFillSync(Buffer.allocUnsafe(Math.min(BLOCK, bytes - at)))
    hash.update(block)
    if (!out.write(block)) await once(out, 'drain')
  }
  out.end()
  await finished(out)
  return hash.digest('hex')
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: BLOCK })) hash.update(chunk as Buffer)
  return hash.digest('hex')
}
