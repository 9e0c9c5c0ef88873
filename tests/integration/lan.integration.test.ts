import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { parseOrgInvitation } from '../../client/core/team/orgInvite.js'
import type { SocketLike } from '../../client/core/sync/transport.js'
import { publicOrigin, type PageContext } from '../../client/web/publicOrigin.js'
import { closePersona, persona, texts, until, type Persona } from './helpers/clients.js'
import { freePort, startServerProcess } from './helpers/serverProcess.js'
import { httpsRequest, makeTestCert, opensslMissing, runRefused, startTlsServerProcess, type TestCert, type TlsServerProcess } from './helpers/tlsServer.js'

/**
 * Phones on the LAN: the real server process serving the app and the sync protocol over HTTPS
 * and WSS with a certificate openssl makes here ([S41]), telling the app its public URL ([S42])
 * and printing where to open it ([S43]); flags it must refuse before starting anything ([S40],
 * [S41]). Personas: alice (an admin on her laptop) invites bob (a phone) over wss://.
 */
const missing = opensslMissing()
if (missing) console.warn(`lan.integration: ${missing}`)
const PUBLIC = 'https://chat.example.local'
const INDEX = '<!doctype html><title>FieldChat</title><p>app shell</p>'

describe.skipIf(missing !== undefined)('the server over TLS', () => {
  let cert: TestCert
  let server: TlsServerProcess
  const people: Persona[] = []
  // The engine's socket, trusting the test certificate only, as a phone trusts an installed one.
  const trusting = (url: string) => {
    const socket = new WebSocket(url, { perMessageDeflate: false, ca: cert.cert })
    socket.on('error', () => undefined)
    return socket as unknown as SocketLike
  }
  // The page's fetch, through the same trust: what publicOrigin() sees in a browser on this origin.
  const page = (): PageContext => ({
    origin: server.httpsUrl,
    fetch: async (path, init) => {
      const r = await httpsRequest(new URL(path, server.httpsUrl).toString(), cert.cert, { method: init.method ?? 'GET' })
      return new Response(new Uint8Array(r.body), { status: r.status })
    },
  })

  beforeAll(async () => {
    cert = makeTestCert()
    const staticDir = mkdtempSync(join(tmpdir(), 'fieldchat-static-'))
    writeFileSync(join(staticDir, 'index.html'), INDEX)
    // The flag wins over the environment, as for every other setting.
    server = await startTlsServerProcess(cert, ['--tls-cert', cert.certFile, '--tls-key', cert.keyFile, '--public-url', PUBLIC], { staticDir, env: { PUBLIC_URL: 'https://not-this.example' } })
  })
  afterAll(async () => {
    await Promise.all(people.map(closePersona))
    await server?.kill()
  })

  test('[S41] HTTPS serves the app (index, SPA fallback, CSP), /healthz, /readyz, /metrics and the blob and recovery routes on the one port', async () => {
    for (const path of ['/', '/index.html', '/some/app/route']) {
      const res = await httpsRequest(`${server.httpsUrl}${path}`, cert.cert)
      expect([path, res.status, res.body.toString()]).toEqual([path, 200, INDEX])
      expect(res.headers['content-security-policy']).toContain("connect-src 'self'")
    }
    expect((await httpsRequest(`${server.httpsUrl}/healthz`, cert.cert)).status).toBe(200)
    expect((await httpsRequest(`${server.httpsUrl}/readyz`, cert.cert)).status).toBe(200)
    expect((await httpsRequest(`${server.httpsUrl}/metrics`, cert.cert)).body.toString()).toContain('# TYPE')
    // The blob and recovery handlers answer over TLS as over HTTP: a malformed target is their coded refusal.
    const blob = await httpsRequest(`${server.httpsUrl}/v1/blobs/not-an-id`, cert.cert)
    expect(blob.status).toBe(400)
    const recovery = await httpsRequest(`${server.httpsUrl}/recovery/not-an-address`, cert.cert)
    expect(recovery.status).toBe(400)
  })

  test('[S41] a client that does not trust the certificate is refused, and nothing answers plain http on the TLS port', async () => {
    const other = makeTestCert(undefined, 'stranger')
    await expect(httpsRequest(`${server.httpsUrl}/healthz`, other.cert)).rejects.toThrow(/self[- ]signed|certificate/i)
    const plain = await fetch(`http://127.0.0.1:${server.port}/healthz`).then((r) => r.status, (err: Error) => err.name)
    expect(plain).not.toBe(200)
  })

  test('[S42] GET /v1/config carries the public URL; HEAD has no body; other methods are refused', async () => {
    const res = await httpsRequest(`${server.httpsUrl}/v1/config`, cert.cert)
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toBe('application/json')
    expect(res.headers['cache-control']).toBe('no-store')
    expect(JSON.parse(res.body.toString())).toEqual({ publicUrl: PUBLIC })
    const head = await httpsRequest(`${server.httpsUrl}/v1/config`, cert.cert, { method: 'HEAD' })
    expect([head.status, head.body.length]).toEqual([200, 0])
    expect((await httpsRequest(`${server.httpsUrl}/v1/config`, cert.cert, { method: 'POST' })).status).toBe(405)
  })

  test('[S43] the printed URLs: https on this machine and the public URL', () => {
    expect(server.output()).toContain(`fieldchat is running at https://localhost:${server.port}`)
    expect(server.output()).toContain(`public URL (invitation links and QR codes): ${PUBLIC}`)
    expect(server.output()).not.toContain('phones need https')
  })

  test('[S41][S42] alice invites bob over wss://: the link made with the app\'s origin helper points at the public URL, parses as before, and a message crosses both ways', async () => {
    const [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => persona(n, server.url, { socket: trusting })))
    people.push(alice!, bob!)
    for (const p of people) p.messenger.start()
    const conv = await alice!.messenger.createConversation('Night shift')
    const origin = await publicOrigin(page())
    expect(origin).toBe(PUBLIC)
    const { link } = await alice!.messenger.invite(conv, origin)
    expect(link.startsWith(`${PUBLIC}/#org=`)).toBe(true)
    expect(parseOrgInvitation(link).org).toBe(conv)
    await bob!.messenger.join(link)
    await until(() => people.every((p) => p.messenger.conversations().some((c) => c.conv === conv && c.members === 2)), 'bob admitted over wss')
    for (const p of people) await p.messenger.openConversation(conv)
    await alice!.messenger.send(conv, 'pump 3 is down')
    await until(() => texts(bob!, conv).includes('pump 3 is down'), 'alice → bob over wss')
    await bob!.messenger.send(conv, 'on my way')
    await until(() => texts(alice!, conv).includes('on my way'), 'bob → alice over wss')
    expect(texts(alice!, conv)).toEqual(texts(bob!, conv))
    for (const p of people) expect(p.problems).toEqual([])
  })
})

describe('[S42] the public URL without TLS', () => {
  test('PUBLIC_URL from the environment reaches /v1/config; without it publicUrl is null and the app keeps its own origin', async () => {
    const [withUrl, without] = await Promise.all([startServerProcess({ env: { PUBLIC_URL: 'https://chat.example.local:8443' } }), startServerProcess()])
    try {
      expect(await (await fetch(`${withUrl.httpUrl}/v1/config`)).json()).toEqual({ publicUrl: 'https://chat.example.local:8443' })
      expect(await (await fetch(`${without.httpUrl}/v1/config`)).json()).toEqual({ publicUrl: null })
      const pageAt = (base: string): PageContext => ({ origin: base, fetch: (path, init) => fetch(new URL(path, base), init) })
      expect(await publicOrigin(pageAt(without.httpUrl))).toBe(without.httpUrl)
      expect(await publicOrigin(pageAt(withUrl.httpUrl))).toBe('https://chat.example.local:8443')
      expect(withUrl.output()).toContain('public URL (invitation links and QR codes): https://chat.example.local:8443')
    } finally {
      await Promise.all([withUrl.kill(), without.kill()])
    }
  })
})

describe.skipIf(missing !== undefined)('[S40][S41] flags refused before anything starts (exit 2)', () => {
  let cert: TestCert
  let other: TestCert
  beforeAll(() => {
    cert = makeTestCert()
    other = makeTestCert(cert.dir, 'other')
    writeFileSync(join(cert.dir, 'garbage.pem'), '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n')
  })
  const cases = (): [string, string[], Record<string, string>, RegExp][] => [
    ['a certificate without a key', ['--tls-cert', cert.certFile], {}, /^S141_TLS_HALF: --tls-cert was given without --tls-key/m],
    ['a key without a certificate', ['--tls-key', cert.keyFile], {}, /^S141_TLS_HALF: --tls-key was given without --tls-cert/m],
    ['TLS_CERT in the environment without TLS_KEY', [], { TLS_CERT: cert.certFile }, /^S141_TLS_HALF/m],
    ['an unreadable certificate file', ['--tls-cert', join(cert.dir, 'missing.crt'), '--tls-key', cert.keyFile], {}, /^S142_TLS_UNREADABLE: the certificate file .*missing\.crt cannot be read \(ENOENT\)/m],
    ['a key that is a folder', ['--tls-cert', cert.certFile, '--tls-key', cert.dir], {}, /^S142_TLS_UNREADABLE: the key file .* cannot be read \(EISDIR\)/m],
    ['a key of another certificate', ['--tls-cert', cert.certFile, '--tls-key', other.keyFile], {}, /^S143_TLS_INVALID: the key in .*other\.key does not belong to the certificate/m],
    ['a certificate that is not PEM', ['--tls-cert', join(cert.dir, 'garbage.pem'), '--tls-key', cert.keyFile], {}, /^S143_TLS_INVALID: .*garbage\.pem is not a PEM certificate/m],
    ['the certificate given as the key', ['--tls-cert', cert.certFile, '--tls-key', cert.certFile], {}, /^S143_TLS_INVALID: .* is not a PEM private key/m],
    ['a public URL with a path', ['--public-url', 'https://chat.example.local/app'], {}, /^S140_PUBLIC_URL: the public URL must not have a path \(\/app\)/m],
    ['a public URL with a query', ['--public-url', 'https://chat.example.local/?x=1'], {}, /^S140_PUBLIC_URL: the public URL must not have a query/m],
    ['a public URL with a user name', ['--public-url', 'https://admin:pw@chat.example.local'], {}, /^S140_PUBLIC_URL: the public URL must not carry a user name or password/m],
    ['a public URL of another scheme', ['--public-url', 'ftp://chat.example.local'], {}, /^S140_PUBLIC_URL: the public URL must start with https:\/\/ or http:\/\/, not ftp:\/\//m],
    ['PUBLIC_URL in the environment with a fragment', [], { PUBLIC_URL: 'https://chat.example.local#x' }, /^S140_PUBLIC_URL: the public URL must not have a fragment/m],
  ]

  test('each refusal says its code and reason, exits 2, listens on nothing and makes no data folder', { timeout: 240_000 }, async () => {
    const refuse = async ([name, args, env, message]: ReturnType<typeof cases>[number]) => {
      const port = await freePort()
      const data = join(mkdtempSync(join(tmpdir(), 'fieldchat-refused-')), 'data')
      const r = await runRefused(['--port', String(port), '--host', '127.0.0.1', '--data', data, ...args], env)
      const listening = await fetch(`http://127.0.0.1:${port}/healthz`).then(() => true, () => false)
      // Messages name files, never their contents.
      const leaked = r.stderr.includes('not base64 at all') || r.stderr.includes('PRIVATE KEY') || r.stderr.includes('BEGIN CERTIFICATE')
      return { name, code: r.code, message: message.test(r.stderr) ? 'ok' : r.stderr, listening, madeData: existsSync(data), leaked }
    }
    // Three processes at a time: each loads the whole server, and the machine has two cores.
    const queue = cases()
    const runs: Awaited<ReturnType<typeof refuse>>[] = []
    await Promise.all([0, 1, 2].map(async () => {
      for (let next = queue.shift(); next; next = queue.shift()) runs.push(await refuse(next))
    }))
    expect(runs).toHaveLength(cases().length)
    for (const r of runs) expect(r, r.name).toEqual({ name: r.name, code: 2, message: 'ok', listening: false, madeData: false, leaked: false })
  })
})
