import WebSocket from 'ws'
import { helloFor } from '../../helpers/hello.js'
import { createSigner, deviceAuthBytes, generateDeviceKeys, type DeviceKeys } from '../../../crypto/index.js'
import { PROTOCOL_VERSION, decodeServerFrame, encodeFrame, type ClientMessage, type ServerMessage } from '../../../protocol/index.js'

/** A protocol-level client for attacks and malformed input: it sends exactly what a test says. */
export interface RawClient {
  readonly socket: WebSocket
  readonly keys: DeviceKeys
  readonly received: ServerMessage[]
  readonly challenge: Uint8Array
  send(msg: ClientMessage): void
  sendRaw(data: Uint8Array | string): void
  next<T extends ServerMessage['type']>(type: T, timeoutMs?: number): Promise<Extract<ServerMessage, { type: T }>>
  closed(): Promise<number>
  hello(): Promise<void>
}

export async function rawClient(url: string, keys: DeviceKeys = generateDeviceKeys()): Promise<RawClient> {
  const socket = new WebSocket(url, { perMessageDeflate: false })
  socket.binaryType = 'arraybuffer'
  socket.on('error', () => undefined)
  const received: ServerMessage[] = []
  const waiters: (() => void)[] = []
  let closeCode: number | undefined
  socket.on('message', (data: ArrayBuffer) => {
    const decoded = decodeServerFrame(new Uint8Array(data))
    if (!decoded.ok) throw new Error(`server sent an invalid frame: ${decoded.reason}`)
    received.push(decoded.message)
    waiters.splice(0).forEach((w) => w())
  })
  socket.on('close', (code) => {
    closeCode = code
    waiters.splice(0).forEach((w) => w())
  })
  let cursor = 0
  const client: RawClient = {
    socket,
    keys,
    received,
    challenge: new Uint8Array(),
    send: (msg) => socket.send(encodeFrame(msg)),
    sendRaw: (data) => socket.send(data),
    async next(type, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        while (cursor < received.length) {
          const msg = received[cursor++]!
          if (msg.type === type) return msg as never
        }
        if (closeCode !== undefined) throw new Error(`socket closed (${closeCode}) before ${type}`)
        if (Date.now() > deadline) throw new Error(`no ${type} within ${timeoutMs} ms`)
        await new Promise<void>((r) => {
          waiters.push(r)
          setTimeout(r, 50)
        })
      }
    },
    closed: () => new Promise((r) => (closeCode !== undefined ? r(closeCode) : socket.once('close', (code) => r(code)))),
    async hello() {
      client.send(await helloFor(keys, client.challenge))
      await client.next('welcome')
    },
  }
  const challenge = await client.next('challenge')
  ;(client as { challenge: Uint8Array }).challenge = challenge.nonce
  return client
}
