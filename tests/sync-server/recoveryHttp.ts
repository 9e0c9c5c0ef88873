import { request } from 'node:http'
import { connect } from 'node:net'

export interface Answer {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: Buffer
  /** The `error.code` of a JSON error body, if any. */
  readonly code: string | undefined
}

/**
 * One request as the client sends it: the path is sent exactly as given (no normalising of `..`,
 * unlike fetch). A server that answers before the whole body is sent (413, 408) and closes may
 * cut the upload short: the answer counts, the write error after it does not.
 */
export function recoveryRequest(base: string, method: string, path: string, options: { write?: string; body?: Uint8Array; headers?: Record<string, string> } = {}): Promise<Answer> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    let answered = false
    const req = request({
      host: url.hostname,
      port: url.port,
      method,
      path,
      agent: false,
      headers: {
        ...(options.write ? { 'x-fieldchat-write': options.write } : {}),
        ...(options.body && !options.headers?.['transfer-encoding'] ? { 'content-length': String(options.body.length) } : {}),
        ...options.headers,
      },
    })
    req.on('response', (res) => {
      answered = true
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const body = Buffer.concat(chunks)
        let code: string | undefined
        try {
          code = (JSON.parse(body.toString()) as { error?: { code?: string } }).error?.code
        } catch {
          code = undefined
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, code })
      })
      res.on('error', reject)
    })
    req.on('error', (err) => answered || reject(err))
    req.end(options.body)
  })
}

/** Raw bytes over TCP: what the server sends back until it closes, or until `waitMs` passes. */
export function rawExchange(port: number, head: string, body: Uint8Array = new Uint8Array(0), waitMs = 5000): Promise<{ text: string; closed: boolean; ms: number }> {
  return new Promise((resolve) => {
    const started = Date.now()
    const socket = connect(port, '127.0.0.1')
    let text = ''
    const timer = setTimeout(() => (socket.destroy(), resolve({ text, closed: false, ms: Date.now() - started })), waitMs)
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')))
    socket.on('error', () => {})
    socket.on('close', () => (clearTimeout(timer), resolve({ text, closed: true, ms: Date.now() - started })))
    socket.write(head)
    if (body.length) socket.write(body)
  })
}
