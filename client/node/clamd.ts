import { createConnection, type Socket } from 'node:net'

/**
 * [A4] A client of ClamAV's `clamd`, over its Unix socket or TCP: `zPING` and `zINSTREAM`.
 * A file is streamed in chunks (`<u32be length><bytes>`, then a zero length) with the socket's
 * backpressure respected: memory holds one chunk whatever the file's size. clamd's reply is
 * untrusted input: it is bounded, parsed, and anything unexpected is a coded error, never "clean".
 */
export type ClamdAddress = { readonly path: string } | { readonly host: string; readonly port: number }

/** What clamd said about a stream. `too-large`: past its StreamMaxLength (or MaxFileSize, MaxScanSize): not scanned. */
export type ClamdResult = { readonly kind: 'clean' } | { readonly kind: 'infected'; readonly name: string } | { readonly kind: 'too-large'; readonly detail: string }

export const ClamdErrorCode = {
  /** Nothing answers at the address (not running, wrong socket, refused): try again later. */
  UNAVAILABLE: 'V100_CLAMD_UNAVAILABLE',
  /** clamd answered with an error of its own (out of memory, a database reload, …). */
  FAILED: 'V101_CLAMD_FAILED',
  /** The reply is not one this client knows, too long, or did not come in time. */
  REPLY: 'V102_CLAMD_REPLY',
} as const
export type ClamdErrorCode = (typeof ClamdErrorCode)[keyof typeof ClamdErrorCode]

export class ClamdError extends Error {
  override name = 'ClamdError'
  constructor(readonly code: ClamdErrorCode, message: string) {
    super(message)
  }
}

/** Chunk size of the stream: well under any StreamMaxLength a deployment would set. */
export const CLAMD_CHUNK_BYTES = 64 * 1024
const MAX_REPLY_BYTES = 4096
const SIGNATURE = /^[\x21-\x7e]{1,200}$/

/** Where Debian's clamav-daemon listens (its /etc/clamav/clamd.conf). */
export const DEBIAN_CLAMD_SOCKET = '/var/run/clamav/clamd.ctl'

/** Debian's clamd.conf StreamMaxLength (25M): longer streams are cut off by clamd, not scanned. */
export const DEBIAN_STREAM_MAX_BYTES = 25 * 1024 * 1024

/** `1048576`, `25M`, `1G`, `512K` (powers of 1024, as clamd.conf reads them) → bytes; undefined for anything else. */
export function parseByteCount(text: string): number | undefined {
  const m = /^(\d{1,13})([KMG]?)$/i.exec(text.trim())
  if (!m) return undefined
  const n = Number(m[1]) * 1024 ** ' KMG'.indexOf((m[2] || ' ').toUpperCase())
  return n > 0 && Number.isSafeInteger(n) ? n : undefined
}

/** `--clamd-socket PATH` or `--clamd HOST:PORT` (neither: Debian's socket) → an address; undefined for a malformed one or both. */
export function parseClamdAddress(opts: { socket?: string | undefined; tcp?: string | undefined }): ClamdAddress | undefined {
  if (opts.socket === undefined && opts.tcp === undefined) return { path: DEBIAN_CLAMD_SOCKET }
  if (opts.socket !== undefined) return opts.tcp === undefined && opts.socket ? { path: opts.socket } : undefined
  const m = /^(.+):(\d{1,5})$/.exec(opts.tcp ?? '')
  const port = Number(m?.[2])
  return m && port > 0 && port < 65536 ? { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port } : undefined
}

export const describeAddress = (a: ClamdAddress): string => ('path' in a ? a.path : `${a.host}:${a.port}`)

/** `zPING` → `PONG`; a ClamdError otherwise. */
export async function clamdPing(address: ClamdAddress, timeoutMs = 10_000): Promise<void> {
  const reply = await exchange(address, timeoutMs, async (s) => void (await write(s, Buffer.from('zPING\0'))))
  if (reply !== 'PONG') throw new ClamdError(ClamdErrorCode.REPLY, `unexpected reply to PING: ${printable(reply)}`)
}

/** Streams `content` (chunks of any size) to clamd and returns its verdict. */
export async function clamdScan(address: ClamdAddress, content: AsyncIterable<Uint8Array>, timeoutMs = 120_000): Promise<ClamdResult> {
  const reply = await exchange(address, timeoutMs, async (s, replied) => {
    await write(s, Buffer.from('zINSTREAM\0'))
    for await (const piece of content) {
      for (let at = 0; at < piece.length; at += CLAMD_CHUNK_BYTES) {
        const chunk = piece.subarray(at, at + CLAMD_CHUNK_BYTES)
        const header = Buffer.alloc(4)
        header.writeUInt32BE(chunk.length)
        // clamd stops reading at its limit, replies and closes: the rest is not sent. A turn of
        // the event loop between chunks lets that reply be read before the next write would fail.
        if (replied() || !(await write(s, header)) || !(await write(s, chunk))) return
        await new Promise((r) => setImmediate(r))
      }
    }
    await write(s, Buffer.alloc(4))
  })
  return parseScanReply(reply)
}

/** [A4] clamd's answer to INSTREAM → a result; a ClamdError for anything else. Exported for tests. */
export function parseScanReply(reply: string): ClamdResult {
  if (reply === 'stream: OK') return { kind: 'clean' }
  if (/size limit exceeded/i.test(reply) && reply.endsWith('ERROR')) return { kind: 'too-large', detail: reply }
  const found = /^stream: (.+) FOUND$/.exec(reply)
  if (found) {
    // ClamAV marks signatures from databases other than its own (an organisation's, a test's) `.UNOFFICIAL`.
    const name = found[1]!.replace(/\.UNOFFICIAL$/, '')
    if (!SIGNATURE.test(name)) throw new ClamdError(ClamdErrorCode.REPLY, `malformed signature name: ${printable(name)}`)
    // With AlertExceedsMax, a file past a scan limit is "found" as Heuristics.Limits.Exceeded.*: it was not scanned.
    if (name.startsWith('Heuristics.Limits.Exceeded')) return { kind: 'too-large', detail: name }
    return { kind: 'infected', name }
  }
  if (reply.endsWith(' ERROR')) throw new ClamdError(ClamdErrorCode.FAILED, `clamd: ${printable(reply)}`)
  throw new ClamdError(ClamdErrorCode.REPLY, `unexpected reply: ${printable(reply)}`)
}

/**
 * One connection: `send` writes the request while the reply is collected; resolves with the
 * reply (up to its NUL) once clamd closes or ends it. A write that fails because clamd already
 * replied and closed (a stream over its limit) is not an error: the reply is. Node drops the
 * connection on that failed write, so a reply not read by then is lost: V102, never "clean"
 * (the scanner streams the file again).
 */
function exchange(address: ClamdAddress, timeoutMs: number, send: (s: Socket, replied: () => boolean) => Promise<void>): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const s = 'path' in address ? createConnection(address.path) : createConnection(address.port, address.host)
    const parts: Buffer[] = []
    let size = 0
    let connected = false
    let settled = false
    const finish = (err?: ClamdError) => {
      if (settled) return
      settled = true
      s.destroy()
      const text = Buffer.concat(parts).toString('latin1')
      const nul = text.indexOf('\0')
      if (err && nul < 0) return reject(err)
      if (nul < 0 && !text) return reject(new ClamdError(ClamdErrorCode.REPLY, 'clamd closed the connection without a reply'))
      resolve((nul < 0 ? text : text.slice(0, nul)).trim())
    }
    s.setTimeout(timeoutMs, () => finish(new ClamdError(ClamdErrorCode.REPLY, `no reply from clamd at ${describeAddress(address)} within ${timeoutMs / 1000} s`)))
    s.on('data', (d: Buffer) => {
      parts.push(d)
      size += d.length
      if (size > MAX_REPLY_BYTES) finish(new ClamdError(ClamdErrorCode.REPLY, 'reply too long'))
      else if (d.includes(0)) finish()
    })
    s.on('end', () => finish())
    s.on('close', () => finish(new ClamdError(ClamdErrorCode.REPLY, 'clamd closed the connection without a reply')))
    s.on('error', (err: NodeJS.ErrnoException) => {
      // Before the connection: nothing listens there. After it: clamd went away mid-stream (or replied and closed).
      if (!connected) finish(new ClamdError(ClamdErrorCode.UNAVAILABLE, `clamd at ${describeAddress(address)} is not reachable (${err.code ?? err.message})`))
      else finish(new ClamdError(ClamdErrorCode.REPLY, `connection to clamd lost (${err.code ?? err.message})`))
    })
    s.once('connect', () => {
      connected = true
      send(s, () => settled || size > 0).catch(() => undefined)
    })
  })
}

/** Writes and waits for the socket to take more; false once the socket is closed (the reply decides). */
function write(s: Socket, bytes: Uint8Array): Promise<boolean> {
  if (s.destroyed || !s.writable) return Promise.resolve(false)
  return new Promise((resolve) => {
    const ok = s.write(bytes, (err) => void (err && resolve(false)))
    if (ok) resolve(true)
    else {
      const done = (v: boolean) => () => (s.off('drain', onDrain), s.off('close', onClose), resolve(v))
      const onDrain = done(true)
      const onClose = done(false)
      s.once('drain', onDrain).once('close', onClose)
    }
  })
}

const printable = (s: string) => s.replace(/[^\x20-\x7e]/g, '?').slice(0, 200)
