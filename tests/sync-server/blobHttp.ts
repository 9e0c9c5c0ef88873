import { request } from 'node:http'
import { connect, type Socket } from 'node:net'
import {
  capabilityProofBytes, conversationIdOf, createFileSealer, deriveAdminCapability, deriveCapability, fileFillerChunk, FILE_CHUNK_BYTES, generateDeviceKeys,
  generateEpochKey, generateFileSecret, randomBytes, rekeyProofBytes, signBlobRequest, type Capability, type DeviceKeys,
} from '../../crypto/index.js'
import { blobIdBytes, blobIdOf, encodeBlobAuth, encodeBlobSpaceAuth, paddedChunkCount, type BlobId } from '../../protocol/index.js'
import { ProtocolSocket } from '../integration/helpers/protocolSocket.js'

/** What signs a blob request: a conversation (or space) id, an epoch and that epoch's capability. */
export interface Holder {
  readonly conv: Uint8Array
  readonly epoch: number
  readonly cap: Capability
}

/**
 * A conversation registered on a real server by its creator device over the WebSocket ([S3]):
 * the creator joins with its origin and admin key, so the server stores the capability of epoch
 * 0. `rekey` rotates it as a removal does ([S10]); the holder from before is the removed member.
 */
export class LiveRoom implements Holder {
  private constructor(
    private readonly socket: ProtocolSocket,
    private readonly nonce: Uint8Array,
    readonly conv: Uint8Array,
    private readonly adminSecret: Uint8Array,
    public epoch: number,
    public cap: Capability,
  ) {}

  static async open(wsUrl: string, device: DeviceKeys = generateDeviceKeys()): Promise<LiveRoom> {
    const { socket, nonce } = await ProtocolSocket.open(wsUrl)
    await socket.hello(device, nonce)
    const origin = randomBytes(16)
    const conv = conversationIdOf(device.signPublic, origin)
    const adminSecret = randomBytes(32)
    const cap = deriveCapability(generateEpochKey(), conv, 0)
    const proof = await cap.signer.sign(capabilityProofBytes(nonce, conv, 0))
    socket.send({ type: 'join', conv, epoch: 0, cap: cap.publicKey, proof, admin: deriveAdminCapability(adminSecret, conv).publicKey, origin })
    await socket.take('joined')
    return new LiveRoom(socket, nonce, conv, adminSecret, 0, cap)
  }

  /** The holder as it is now: what a member who is removed at the next rekey keeps. */
  get holder(): Holder {
    return { conv: this.conv, epoch: this.epoch, cap: this.cap }
  }

  /** A rotation to a fresh epoch key, through the server's compare-and-swap ([S10]). */
  async rekey(): Promise<void> {
    const epoch = this.epoch + 1
    const cap = deriveCapability(generateEpochKey(), this.conv, epoch)
    const admin = deriveAdminCapability(this.adminSecret, this.conv)
    const proof = await admin.signer.sign(rekeyProofBytes(this.nonce, this.conv, epoch, cap.publicKey, admin.publicKey))
    this.socket.send({ type: 'rekey', conv: this.conv, from: this.epoch, epoch, cap: cap.publicKey, admin: admin.publicKey, proof })
    await this.socket.take('joined')
    this.epoch = epoch
    this.cap = cap
  }

  close(): void {
    this.socket.close()
  }
}

/** The `authorization` header ([B3], [K9] role access) and, for a create, the quota space's. */
export async function signedHeaders(who: Holder, method: string, target: string, options: { time?: number; space?: Holder } = {}): Promise<Record<string, string>> {
  const time = options.time ?? Date.now()
  const headers: Record<string, string> = {
    authorization: encodeBlobAuth({ conv: who.conv, epoch: who.epoch, time, proof: await signBlobRequest(who.cap, 'access', method, target, who.conv, who.epoch, time) }),
  }
  const space = options.space
  if (space) headers['x-fieldchat-space'] = encodeBlobSpaceAuth({ space: space.conv, epoch: space.epoch, proof: await signBlobRequest(space.cap, 'space', method, target, space.conv, space.epoch, time) })
  return headers
}

export interface Answer {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: Buffer
  /** The JSON body (a status or an error), if it is JSON. */
  readonly json: { code?: string; [k: string]: unknown } | undefined
}

/** One request, the target sent exactly as given; the answer read whole. A write error after the answer does not count. */
export function httpRequest(base: string, method: string, target: string, options: { headers?: Record<string, string>; body?: Uint8Array } = {}): Promise<Answer> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    let answered = false
    const req = request({
      host: url.hostname,
      port: url.port,
      method,
      path: target,
      agent: false,
      headers: { ...(options.body && !options.headers?.['transfer-encoding'] ? { 'content-length': String(options.body.length) } : {}), ...options.headers },
    })
    req.on('response', (res) => {
      answered = true
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => {
        const body = Buffer.concat(parts)
        let json: Answer['json']
        try {
          json = String(res.headers['content-type']).startsWith('application/json') ? JSON.parse(body.toString()) : undefined
        } catch {
          json = undefined
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json })
      })
      res.on('error', reject)
    })
    req.on('error', (err) => answered || reject(err))
    req.end(options.body)
  })
}

/** A signed request by `who`. */
export async function blobCall(base: string, who: Holder, method: string, target: string, options: { body?: Uint8Array; headers?: Record<string, string>; time?: number; space?: Holder } = {}): Promise<Answer> {
  const headers = { ...(await signedHeaders(who, method, target, options)), ...options.headers }
  return httpRequest(base, method, target, { headers, ...(options.body ? { body: options.body } : {}) })
}

/**
 * A file as the client uploads it ([F1]–[F4], [B2]): its content sealed in chunks under a fresh
 * file key and bound to a fresh blob id, then random filler chunks up to the padded count.
 */
export async function sealedFile(content: Uint8Array): Promise<{ id: BlobId; chunks: Uint8Array[]; bytes: Buffer }> {
  const id = blobIdOf(randomBytes(16))
  const sealer = await createFileSealer(generateFileSecret(), { blob: blobIdBytes(id), size: content.length })
  const chunks: Uint8Array[] = []
  for (let i = 0; i < sealer.chunks; i++) chunks.push(await sealer.seal(i, content.subarray(i * FILE_CHUNK_BYTES, (i + 1) * FILE_CHUNK_BYTES)))
  while (chunks.length < paddedChunkCount(sealer.chunks)) chunks.push(fileFillerChunk())
  return { id, chunks, bytes: Buffer.concat(chunks) }
}

/** Content that repeats a marker, so that a scan of the server's files can look for it. */
export function markedContent(marker: string, bytes: number): Uint8Array {
  const unit = Buffer.from(marker)
  const out = Buffer.alloc(bytes)
  for (let at = 0; at < bytes; at += unit.length) unit.copy(out, at)
  return new Uint8Array(out.buffer, out.byteOffset, out.length)
}

/** A raw TCP client: the test decides what is sent and when, and whether the connection is cut. */
export function rawSocket(port: number): { socket: Socket; received(): string; closed: Promise<void> } {
  const socket = connect(port, '127.0.0.1')
  let text = ''
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')))
  socket.on('error', () => {})
  const closed = new Promise<void>((r) => socket.on('close', () => r()))
  return { socket, received: () => text, closed }
}
