import Database from 'better-sqlite3'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import webpush from 'web-push'
import { ErrorCode, idBytes, type ConvId } from '../../protocol/index.js'
import { randomBytes, toBase64Url, toHex } from '../../crypto/index.js'
import { pushTokenOf } from '../../client/core/push/token.js'
import { pushTokenOf as serverTokenOf } from '../../sync-server/push/token.js'
import { WAKE_PAYLOAD } from '../../sync-server/push/sender.js'
import { startSyncServer } from '../../sync-server/server.js'
import { openMemoryStore } from '../../sync-server/store/memory.js'
import { bytesSource } from '../../client/core/files/source.js'
import { closePersona, persona, until, type Persona } from './helpers/clients.js'
import { rawClient } from './helpers/rawClient.js'
import { startServerProcess, type ServerProcess } from './helpers/serverProcess.js'
import { conversationWith } from './helpers/team.js'
import { checkVapid, decryptPush, fakeBrowserKeys, startFakePushService, type FakeBrowserKeys, type FakePushService } from './helpers/pushService.js'

/**
 * [S50]–[S53] Content-free Web Push through the real server: a local endpoint stands in for the
 * push service, decrypts every push per RFC 8291 and checks its VAPID JWT. Personas: Ana writes,
 * Bob and Carol are woken; Carol is removed.
 */
const vapid = webpush.generateVAPIDKeys()
let service: FakePushService
let server: ServerProcess
let ana: Persona, bob: Persona, carol: Persona
let conv: ConvId
const keys = new Map<string, FakeBrowserKeys>()

/** Each browser's endpoint path, random as a push service makes it. */
const paths = new Map<string, string>()
const pushesTo = (name: string) => service.received.filter((r) => r.path === paths.get(name))
async function subscribe(p: Persona): Promise<void> {
  const k = fakeBrowserKeys()
  keys.set(p.name, k)
  paths.set(p.name, `/wpush/${Buffer.from(randomBytes(12)).toString('base64url')}`)
  await p.messenger.enablePush({ endpoint: `${service.origin}${paths.get(p.name)}`, p256dh: k.p256dh, auth: k.auth })
}
const tokenOf = (p: Persona) => {
  const org = p.messenger.team.orgOf(conv)!
  return p.messenger.team.core.spaces.org(org).pushTokens.get(toHex(idBytes(p.messenger.identity!.deviceId)))
}
const subsFile = () => new Database(join(server.dataDir, 'push.sqlite'), { readonly: true, fileMustExist: true })
const storedTokens = () => {
  const db = subsFile()
  try {
    return db.prepare<[], { token: Uint8Array }>('SELECT token FROM subs').all().map((r) => toHex(new Uint8Array(r.token)))
  } finally {
    db.close()
  }
}

beforeAll(async () => {
  service = await startFakePushService()
  server = await startServerProcess({ env: { VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: vapid.privateKey, VAPID_SUBJECT: 'mailto:ops@example.org', PUSH_SERVICES: service.origin } })
  ana = await persona('ana', server.url)
  bob = await persona('bob', server.url)
  carol = await persona('carol', server.url)
  for (const p of [ana, bob, carol]) p.messenger.start()
  conv = await conversationWith(ana, [bob, carol], 'Night shift')
  for (const p of [ana, bob, carol]) await subscribe(p)
  // Every device's token reaches the others through the directory (a signed op in a bundle).
  await until(() => ana.messenger.team.pushTokens(conv).length === 2 && bob.messenger.team.pushTokens(conv).length === 2, 'tokens in the directory')
}, 120_000)

afterAll(async () => {
  for (const p of [ana, bob, carol]) if (p) await closePersona(p)
  await server?.kill()
  await service?.close()
})

describe('[S50]–[S53] content-free Web Push', () => {
  test('[S50] client and server name the same token for a secret; only the token is in the directory', () => {
    const secret = randomBytes(32)
    expect(toHex(pushTokenOf(secret))).toBe(toHex(serverTokenOf(secret)))
    expect(tokenOf(bob)).toBeDefined()
    expect(storedTokens().sort()).toEqual([ana, bob, carol].map((p) => toHex(tokenOf(p)!)).sort())
  })

  test('[S51][S52] a message from Ana wakes Bob and Carol, not Ana; each push decrypts (RFC 8291) to the fixed constant, VAPID-signed for the endpoint\'s origin', async () => {
    const before = { ana: pushesTo('ana').length, bob: pushesTo('bob').length, carol: pushesTo('carol').length }
    await ana.messenger.send(conv, 'the pump is fixed')
    await until(() => pushesTo('bob').length > before.bob && pushesTo('carol').length > before.carol, 'pushes to Bob and Carol')
    await until(() => bob.messenger.messages(conv).some((m) => m.text === 'the pump is fixed'), 'the message on Bob')
    expect(pushesTo('ana').length).toBe(before.ana)
    for (const name of ['bob', 'carol']) {
      const push = pushesTo(name).at(-1)!
      const plain = decryptPush(push.body, keys.get(name)!).toString('utf8')
      expect(plain).toBe(WAKE_PAYLOAD)
      for (const secret of ['the pump is fixed', 'Night shift', 'ana', 'Ana', toBase64Url(idBytes(conv)), toHex(idBytes(conv))]) expect(plain).not.toContain(secret)
      expect(push.headers['content-encoding']).toBe('aes128gcm')
      expect(push.headers.urgency).toBe('high')
      expect(Number(push.headers.ttl)).toBeLessThanOrEqual(60)
      const claims = checkVapid(push.headers.authorization, vapid.publicKey)
      expect(claims.aud).toBe(service.origin)
      expect(claims.sub).toBe('mailto:ops@example.org')
      expect(claims.exp * 1000).toBeLessThanOrEqual(Date.now() + 24 * 3600_000)
    }
  })

  test('[S51][M64] a file message wakes Bob and Carol too, once its upload is done and the message acknowledged', async () => {
    const before = { ana: pushesTo('ana').length, bob: pushesTo('bob').length, carol: pushesTo('carol').length }
    await ana.messenger.sendFiles(conv, [{ source: bytesSource(new TextEncoder().encode('valve photo bytes')), name: 'valve.txt', type: 'text/plain' }], 'valve')
    await until(() => pushesTo('bob').length > before.bob && pushesTo('carol').length > before.carol, 'pushes to Bob and Carol')
    expect(ana.messenger.messages(conv).some((m) => m.files?.[0]?.name === 'valve.txt')).toBe(true)
    expect(pushesTo('ana').length).toBe(before.ana)
    for (const name of ['bob', 'carol']) expect(decryptPush(pushesTo(name).at(-1)!.body, keys.get(name)!).toString('utf8')).toBe(WAKE_PAYLOAD)
  })

  test('[V7][M62] a call Ana starts wakes Bob and Carol: its ring is in the conversation, so a device woken with the app closed finds it ringing; once over, it rings no more and the history has it', async () => {
    const before = { ana: pushesTo('ana').length, bob: pushesTo('bob').length, carol: pushesTo('carol').length }
    await ana.messenger.calls.start(conv, true)
    await until(() => pushesTo('bob').length > before.bob && pushesTo('carol').length > before.carol, 'pushes to Bob and Carol')
    expect(pushesTo('ana').length).toBe(before.ana)
    for (const name of ['bob', 'carol']) expect(decryptPush(pushesTo(name).at(-1)!.body, keys.get(name)!).toString('utf8')).toBe(WAKE_PAYLOAD)
    await bob.messenger.openConversation(conv)
    await until(() => bob.messenger.ringingCalls(conv).length === 1, 'the ring read on Bob\'s device')
    const ring = bob.messenger.ringingCalls(conv)[0]!
    expect(ring).toMatchObject({ author: ana.messenger.identity!.deviceId, video: true })
    expect(ana.messenger.ringingCalls(conv)).toEqual([]) // her own call does not ring for her
    expect(bob.messenger.ringingCalls(conv, ring.since + 46_000)).toEqual([]) // a call rings 45 s at most
    expect(bob.messenger.callHistory(conv)).toEqual([]) // a ring is no history line
    await ana.messenger.calls.leave(conv)
    await until(() => bob.messenger.callHistory(conv).length === 1, 'the call in Bob\'s history')
    expect(bob.messenger.ringingCalls(conv)).toEqual([])
    expect(bob.messenger.callHistory(conv)[0]!.text).toBe('Missed video call from ana')
  })

  test('[S51][M63] after Carol is removed, her token leaves the directory and Ana\'s next message wakes Bob only', async () => {
    const carolToken = toHex(tokenOf(carol)!)
    await ana.messenger.removeMember(conv, carol.messenger.identity!.deviceId)
    await until(() => !ana.messenger.team.pushTokens(conv).some((t) => toHex(t) === carolToken), 'Carol\'s token gone from Ana\'s directory')
    expect(ana.messenger.team.pushTokens(conv).map(toHex)).toEqual([toHex(tokenOf(bob)!)])
    const before = { bob: pushesTo('bob').length, carol: pushesTo('carol').length }
    await ana.messenger.send(conv, 'shift change at six')
    await until(() => pushesTo('bob').length > before.bob, 'a push to Bob')
    // The wake went out as one frame: Bob's token and random decoys, no Carol.
    await new Promise((r) => setTimeout(r, 300))
    expect(pushesTo('carol').length).toBe(before.carol)
  })

  test('[S53] stolen database: the push file holds tokens and subscriptions, and nothing tying a token to a device, mailbox or conversation', async () => {
    const files = readdirSync(server.dataDir).filter((f) => f.startsWith('push.sqlite'))
    expect(files).toContain('push.sqlite')
    const db = subsFile()
    try {
      expect(db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((t) => t.name)).toEqual(['subs'])
      expect(db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('subs')").all().map((c) => c.name)).toEqual(['token', 'endpoint', 'p256dh', 'auth'])
    } finally {
      db.close()
    }
    const needles: [string, Uint8Array][] = []
    for (const p of [ana, bob, carol]) {
      needles.push([`${p.name} device`, idBytes(p.messenger.identity!.deviceId)])
      needles.push([`${p.name} name`, new TextEncoder().encode(p.name)])
    }
    needles.push(['conversation', idBytes(conv)])
    for (const f of files) {
      const hay = readFileSync(join(server.dataDir, f))
      for (const [what, bytes] of needles) {
        expect(hay.includes(Buffer.from(bytes)), `${what} raw in ${f}`).toBe(false)
        for (const text of [Buffer.from(bytes).toString('hex'), Buffer.from(bytes).toString('base64url')]) expect(hay.includes(Buffer.from(text)), `${what} as text in ${f}`).toBe(false)
      }
    }
  })

  test('[S52] a push service answering 410 Gone deletes the subscription', async () => {
    const bobToken = toHex(tokenOf(bob)!)
    service.answer(paths.get('bob')!, 410)
    const before = pushesTo('bob').length
    const raw = await rawClient(server.url)
    await raw.hello()
    raw.send({ type: 'wake', tokens: [tokenOf(bob)!] })
    await until(() => pushesTo('bob').length > before, 'the wake reached the push service')
    await until(() => !storedTokens().includes(bobToken), 'Bob\'s subscription deleted')
    raw.socket.close()
  })

  test('[S50][S51] hostile frames get coded errors and the server keeps serving', async () => {
    const raw = await rawClient(server.url)
    await raw.hello()
    const refusal = async () => (await raw.next('error')).code
    // Too many tokens, and a repeated one: the schema refuses the frame.
    raw.send({ type: 'wake', tokens: Array.from({ length: 65 }, () => randomBytes(32)) } as never)
    expect(await refusal()).toBe(ErrorCode.BAD_FRAME)
    const same = randomBytes(32)
    raw.send({ type: 'wake', tokens: [same, same] })
    expect(await refusal()).toBe(ErrorCode.BAD_FRAME)
    // An endpoint outside the allowed push services (the server never posts to an address a device chose).
    const k = fakeBrowserKeys()
    for (const endpoint of ['https://evil.example/push', 'http://127.0.0.1:1/push', `${service.origin.replace('http:', 'https:')}/x`, 'not a url']) {
      raw.send({ type: 'push-register', secret: randomBytes(32), endpoint, p256dh: k.p256dh, auth: k.auth })
      expect(await refusal()).toBe(ErrorCode.PUSH_REFUSED)
    }
    // Unknown tokens (decoys, withdrawn ones) are skipped in silence; a flood passes the budget.
    const answersTo = async (i: number) => {
      const from = raw.received.length
      raw.send({ type: 'wake', tokens: Array.from({ length: 64 }, () => randomBytes(32)) })
      raw.send({ type: 'ping', t: i })
      await until(() => raw.received.slice(from).some((m) => m.type === 'pong' && m.t === i), `pong ${i}`)
      return raw.received.slice(from).flatMap((m) => (m.type === 'error' ? [m.code] : []))
    }
    const codes: number[][] = []
    for (let i = 0; i < 12 && !codes.flat().length; i++) codes.push(await answersTo(i))
    // 512 tokens of burst: the ninth wake of 64 is refused, and only that one.
    expect(codes.flat()).toEqual([ErrorCode.RATE_LIMITED])
    expect(codes.slice(0, 8).flat()).toEqual([])
    expect((await fetch(`${server.httpUrl}/healthz`)).ok).toBe(true)
    expect(await (await fetch(`${server.httpUrl}/v1/push`)).json()).toEqual({ publicKey: vapid.publicKey })
    raw.socket.close()
  })

  test('[S50] a server without VAPID keys refuses push frames with 1400 and says so at /v1/push', async () => {
    const plain = await startSyncServer({ port: 0, host: '127.0.0.1', store: openMemoryStore() })
    try {
      const raw = await rawClient(`ws://127.0.0.1:${plain.port}/sync`)
      await raw.hello()
      raw.send({ type: 'wake', tokens: [randomBytes(32)] })
      expect((await raw.next('error')).code).toBe(ErrorCode.PUSH_OFF)
      expect(await (await fetch(`http://127.0.0.1:${plain.port}/v1/push`)).json()).toEqual({ publicKey: null })
      raw.socket.close()
    } finally {
      await plain.close()
    }
  })
})
