import { createECDH, createPublicKey, createDecipheriv, hkdfSync, randomBytes, verify, type ECDH } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'

/**
 * A local HTTP endpoint standing in for a browser vendor's push service (protocol [S52]): it
 * records every push it is sent and can answer a path with 410 Gone. Written from RFC 8291
 * (aes128gcm content coding, RFC 8188) and RFC 8292 (VAPID) with node:crypto only, not with
 * web-push, so the server's use of web-push is checked against an independent reading.
 */
export interface ReceivedPush {
  readonly path: string
  readonly headers: IncomingMessage['headers']
  readonly body: Buffer
}

export interface FakePushService {
  readonly origin: string
  readonly received: ReceivedPush[]
  /** Answer this path with `status` from now on (410: the subscription is gone). */
  answer(path: string, status: number): void
  close(): Promise<void>
}

export async function startFakePushService(): Promise<FakePushService> {
  const received: ReceivedPush[] = []
  const answers = new Map<string, number>()
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) })
      res.writeHead(answers.get(req.url ?? '') ?? 201).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    origin: `http://127.0.0.1:${port}`,
    received,
    answer: (path, status) => void answers.set(path, status),
    close: () => new Promise((r) => server.close(() => r())),
  }
}

/** A browser's side of a push subscription: a P-256 key pair and an auth secret (RFC 8291 §2). */
export interface FakeBrowserKeys {
  readonly ecdh: ECDH
  readonly p256dh: Uint8Array
  readonly auth: Uint8Array
}

export function fakeBrowserKeys(): FakeBrowserKeys {
  const ecdh = createECDH('prime256v1')
  ecdh.generateKeys()
  return { ecdh, p256dh: new Uint8Array(ecdh.getPublicKey()), auth: new Uint8Array(randomBytes(16)) }
}

/** RFC 8291 / RFC 8188: the plaintext of an aes128gcm push body, or throws when it does not decrypt. */
export function decryptPush(body: Buffer, keys: FakeBrowserKeys): Buffer {
  // RFC 8188 §2.1 header: salt (16) ‖ rs (uint32) ‖ idlen (1) ‖ keyid (the sender's ECDH public key, 65).
  const salt = body.subarray(0, 16)
  const rs = body.readUInt32BE(16)
  const idlen = body[20]!
  const asPublic = body.subarray(21, 21 + idlen)
  const ciphertext = body.subarray(21 + idlen)
  if (idlen !== 65 || asPublic[0] !== 4) throw new Error('keyid is not an uncompressed P-256 point')
  if (ciphertext.length > rs) throw new Error('more than one record')
  // RFC 8291 §3.3-3.4: IKM = HKDF(auth, ecdh_secret, "WebPush: info" ‖ 0 ‖ ua_public ‖ as_public, 32).
  const ecdhSecret = keys.ecdh.computeSecret(asPublic)
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), keys.p256dh, asPublic])
  const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, keys.auth, keyInfo, 32))
  // RFC 8188 §2.2-2.3: CEK and NONCE from the salt.
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16))
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12))
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce)
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16))
  const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()])
  // The last record: data ‖ 0x02 ‖ zero padding.
  let end = padded.length - 1
  while (end >= 0 && padded[end] === 0) end--
  if (padded[end] !== 2) throw new Error('no last-record delimiter')
  return padded.subarray(0, end)
}

/** RFC 8292: the `Authorization: vapid t=<JWT>, k=<key>` header, its ES256 signature checked; the JWT's claims. */
export function checkVapid(header: string | undefined, publicKey: string): { aud: string; exp: number; sub: string } {
  const m = /^vapid t=([A-Za-z0-9_.-]+), k=([A-Za-z0-9_-]+)$/.exec(header ?? '')
  if (!m) throw new Error(`not a vapid authorization: ${header}`)
  if (m[2] !== publicKey) throw new Error('k is not the server\'s VAPID public key')
  const [h, p, s] = m[1]!.split('.')
  const head = JSON.parse(Buffer.from(h!, 'base64url').toString()) as { alg: string; typ: string }
  if (head.alg !== 'ES256') throw new Error(`alg ${head.alg}`)
  const point = Buffer.from(publicKey, 'base64url')
  const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') }, format: 'jwk' })
  if (!verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s!, 'base64url'))) throw new Error('the JWT signature does not verify')
  return JSON.parse(Buffer.from(p!, 'base64url').toString()) as { aud: string; exp: number; sub: string }
}
