import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { generateDeviceKeys, toBase64Url, toHex } from '../../crypto/index.js'
import { ErrorCode } from '../../protocol/index.js'
import { ClientError, ClientErrorCode } from '../../client/core/errors.js'
import { closePersona, persona, until } from './helpers/clients.js'
import { startServerProcess, type ServerProcess } from './helpers/serverProcess.js'
import { ProtocolSocket } from './helpers/protocolSocket.js'

/**
 * [S55] TURN credentials from the real server process (`npm start`'s main.ts with TURN_URL and
 * TURN_SECRET): only for an authenticated device, short-lived, the coturn REST form (crypto
 * [X1]), naming no device. Relaying with them through a real coturn: tests/e2e/turn.e2e.test.ts.
 */
const SECRET = 'depot-7-turn-shared-secret'
const URLS = 'turn:127.0.0.1:3478?transport=udp, turns:turn.example.org:5349'
let server: ServerProcess
let plain: ServerProcess

beforeAll(async () => {
  ;[server, plain] = await Promise.all([startServerProcess({ env: { TURN_URL: URLS, TURN_SECRET: SECRET, TURN_TTL: '600' } }), startServerProcess()])
})
afterAll(async () => {
  await Promise.all([server?.kill(), plain?.kill()])
})

describe('[S55] TURN credentials', () => {
  test('[S55][X1] an authenticated device gets the URLs and a credential valid for the TTL, HMAC-SHA1 of a random username under the shared secret; no device id in it, none alike', async () => {
    const device = generateDeviceKeys()
    const { socket, nonce } = await ProtocolSocket.open(server.url)
    await socket.hello(device, nonce)
    const asked = Math.floor(Date.now() / 1000)
    socket.send({ type: 'turn' })
    const first = await socket.take('turn-credentials')
    socket.send({ type: 'turn' })
    const second = await socket.take('turn-credentials')
    expect(first.urls).toEqual(['turn:127.0.0.1:3478?transport=udp', 'turns:turn.example.org:5349'])
    expect(first.ttl).toBe(600)
    const [expiry, random] = first.username.split(':')
    expect(Number(expiry)).toBeGreaterThanOrEqual(asked + 600)
    expect(Number(expiry)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 600)
    expect(random).toMatch(/^[A-Za-z0-9_-]{16}$/)
    expect(first.credential).toBe(createHmac('sha1', SECRET).update(first.username).digest('base64'))
    expect(second.username).not.toBe(first.username)
    for (const text of [first.username, first.credential]) {
      expect(text).not.toContain(toHex(device.signPublic).slice(0, 12))
      expect(text).not.toContain(toBase64Url(device.signPublic).slice(0, 12))
    }
    socket.close()
  })

  test('[S55] before the handshake a `turn` frame is 1004 and closes the connection; the secret is in no log line', async () => {
    const { socket } = await ProtocolSocket.open(server.url)
    socket.send({ type: 'turn' })
    expect(await socket.take('error')).toMatchObject({ code: ErrorCode.NOT_AUTHENTICATED, fatal: true })
    expect(server.output()).not.toContain(SECRET)
  })

  test('[S55] a server without TURN answers 1410, not fatal; the connection goes on', async () => {
    const { socket, nonce } = await ProtocolSocket.open(plain.url)
    await socket.hello(generateDeviceKeys(), nonce)
    socket.send({ type: 'turn' })
    expect(await socket.take('error')).toMatchObject({ code: ErrorCode.TURN_OFF, fatal: false })
    socket.send({ type: 'ping', t: 1 })
    expect(await socket.take('pong')).toMatchObject({ t: 1 })
    socket.close()
  })
})

describe('[M70] the engine asks for TURN credentials', () => {
  test('[M70] online: the deployment\'s URLs and a credential with its expiry; several asked at once are answered in order; a server without TURN is M570; offline is M571', async () => {
    const ana = await persona('Ana', server.url)
    const ben = await persona('Ben', plain.url)
    try {
      // Not started: no connection to ask on.
      await expect(ana.messenger.turnCredentials(2_000)).rejects.toMatchObject({ code: ClientErrorCode.TURN_UNAVAILABLE })
      ana.messenger.start()
      ben.messenger.start()
      await until(() => ana.messenger.status.connection === 'online' && ben.messenger.status.connection === 'online', 'online')
      const before = Date.now()
      const [a, b] = await Promise.all([ana.messenger.turnCredentials(), ana.messenger.turnCredentials()])
      expect(a.urls).toEqual(['turn:127.0.0.1:3478?transport=udp', 'turns:turn.example.org:5349'])
      expect(a.credential).toBe(createHmac('sha1', SECRET).update(a.username).digest('base64'))
      expect(b.username).not.toBe(a.username)
      expect(a.expiresAt).toBeGreaterThanOrEqual(before + 600_000)
      expect(a.expiresAt).toBeLessThanOrEqual(Date.now() + 600_000)
      const refused = await ben.messenger.turnCredentials().catch((e: unknown) => e)
      expect(refused).toBeInstanceOf(ClientError)
      expect((refused as ClientError).code).toBe(ClientErrorCode.TURN_OFF)
      // The refusal is the request's answer, not a problem shown to the person.
      expect(ben.problems).toEqual([])
    } finally {
      await Promise.all([closePersona(ana), closePersona(ben)])
    }
  })
})
