import WebSocket from 'ws'
import { createSigner, deriveMailboxKey, deviceAuthBytes, mailboxProofBytes, type DeviceKeys, type MailboxKey, type Signer } from '../../../crypto/index.js'
import { PROTOCOL_VERSION, decodeServerFrame, encodeFrame, type ClientMessage, type ServerMessage } from '../../../protocol/index.js'

/**
 * A device's signer and mailbox key, made once: deriving them costs three tweetnacl key
 * derivations (~20 ms of CPU), which a client reconnecting after each of 100 crashes would
 * otherwise pay every time (tests/helpers/hello.ts makes them afresh for each hello).
 */
const identities = new WeakMap<DeviceKeys, { device: Signer; mailbox: MailboxKey }>()

/** An error frame the server answered with, where a test expected something else. */
export class ServerRefused extends Error {
  override name = 'ServerRefused'
  constructor(readonly code: number, readonly fatal: boolean) {
    super(`server answered with error ${code}${fatal ? ' (fatal)' : ''}`)
  }
}

/**
 * One protocol connection for clients that must survive the server dying under them: every
 * inbound frame is parsed ([P3]); a handshake step takes the next answer in arrival order
 * (`take`), and a streaming client then listens to the rest (`listen`). Never throws from a
 * socket event: a frame that fails to parse closes the socket and is kept in `invalidFrames`.
 */
export class ProtocolSocket {
  readonly closed: Promise<number>
  invalidFrames = 0
  private readonly inbox: ServerMessage[] = []
  private listener: ((msg: ServerMessage) => void) | undefined
  private wake: (() => void) | undefined
  private closeCode: number | undefined

  private constructor(private readonly socket: WebSocket) {
    socket.binaryType = 'arraybuffer'
    socket.on('message', (data: ArrayBuffer) => {
      const decoded = decodeServerFrame(new Uint8Array(data))
      if (!decoded.ok) {
        this.invalidFrames++
        return void socket.terminate()
      }
      if (this.listener) this.listener(decoded.message)
      else this.inbox.push(decoded.message)
      this.wake?.()
    })
    this.closed = new Promise((resolve) => {
      socket.on('close', (code) => {
        this.closeCode = code
        this.wake?.()
        resolve(code)
      })
    })
  }

  /** Connects and waits for the server's challenge; rejects if the server is not there. */
  static async open(url: string): Promise<{ socket: ProtocolSocket; nonce: Uint8Array }> {
    const ws = new WebSocket(url, { perMessageDeflate: false })
    const socket = new ProtocolSocket(ws)
    ws.on('error', () => undefined) // a refused or reset connection ends in 'close'
    const challenge = await socket.take('challenge')
    return { socket, nonce: challenge.nonce }
  }

  get isOpen(): boolean {
    return this.closeCode === undefined && this.socket.readyState === WebSocket.OPEN
  }

  send(msg: ClientMessage): void {
    if (this.isOpen) this.socket.send(encodeFrame(msg))
  }

  /** The next answer, which must be of `type` (an error frame throws ServerRefused). */
  async take<T extends ServerMessage['type']>(type: T, timeoutMs = 10_000): Promise<Extract<ServerMessage, { type: T }>> {
    const msg = await this.next(timeoutMs)
    if (msg.type === type) return msg as Extract<ServerMessage, { type: T }>
    if (msg.type === 'error') throw new ServerRefused(msg.code, msg.fatal)
    throw new Error(`expected ${type}, got ${msg.type}`)
  }

  /** The next frame in arrival order ([S11] mailbox frames, sent unasked, are skipped). */
  async next(timeoutMs = 10_000): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const msg = this.inbox.shift()
      if (msg && msg.type !== 'mailbox') return msg
      if (msg) continue
      if (this.closeCode !== undefined) throw new Error(`socket closed (${this.closeCode})`)
      if (Date.now() > deadline) throw new Error(`no frame within ${timeoutMs} ms`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50)
        this.wake = () => (clearTimeout(timer), resolve())
      })
      this.wake = undefined
    }
  }

  /** [S2] hello with the device proof [K3] and the mailbox proof [K7] over this connection's nonce, then welcome. */
  async hello(keys: DeviceKeys, nonce: Uint8Array): Promise<void> {
    let id = identities.get(keys)
    if (!id) identities.set(keys, (id = { device: createSigner(keys.signSecret), mailbox: deriveMailboxKey(keys.signSecret) }))
    const [proof, mailboxProof] = await Promise.all([
      id.device.sign(deviceAuthBytes(nonce, keys.signPublic)),
      id.mailbox.signer.sign(mailboxProofBytes(nonce, id.mailbox.address)),
    ])
    this.send({ type: 'hello', v: PROTOCOL_VERSION, device: keys.signPublic, proof, mailbox: id.mailbox.address, mailboxProof })
    await this.take('welcome')
  }

  /** From now on every frame (and any still queued) goes to `fn`, in arrival order. */
  listen(fn: (msg: ServerMessage) => void): void {
    this.listener = fn
    for (const msg of this.inbox.splice(0)) fn(msg)
  }

  close(): void {
    this.socket.terminate()
  }
}
