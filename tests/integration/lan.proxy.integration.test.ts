import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { SocketLike } from '../../client/core/sync/transport.js'
import { randomBytes } from '../../crypto/verify.js'
import { closePersona, persona, texts, until, type Persona } from './helpers/clients.js'
import { freePort, startServerProcess, type ServerProcess } from './helpers/serverProcess.js'
import { httpsRequest, makeTestCert, opensslMissing, toLoopback, type TestCert } from './helpers/tlsServer.js'

/**
 * The README's "Phones on the LAN" recipe (b): the server on 127.0.0.1 over plain HTTP behind
 * Caddy and behind nginx, each with the README's configuration (ports and file paths changed to
 * the test's). Through each proxy: the app and /v1/config over HTTPS, alice and bob exchanging
 * messages over wss:// (the Upgrade passed through), and a 4 MiB recovery blob PUT (nginx's
 * default body limit is 1 MiB). Skipped, with a line saying so, where caddy or nginx is not installed.
 */
const has = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: 'utf8' }).status === 0
const NAME = 'chat.example.local'

interface Proxy {
  readonly port: number
  stop(): Promise<void>
}

async function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ child: ChildProcess; log: () => string }> {
  let log = ''
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()))
  return { child, log: () => log }
}

async function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  await exited
}

/** Caddy as in the README (`tls internal`), with global options that keep it inside the test. */
async function caddy(upstream: number, dir: string): Promise<Proxy & { ca: () => Buffer }> {
  const [port, httpPort] = [await freePort(), await freePort()]
  const file = join(dir, 'Caddyfile')
  writeFileSync(file, `{
	admin off
	skip_install_trust
	http_port ${httpPort}
	https_port ${port}
}

${NAME}:${port} {
	tls internal
	reverse_proxy 127.0.0.1:${upstream}
}
`)
  const p = await run('caddy', ['run', '--config', file, '--adapter', 'caddyfile'], { XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') })
  const root = join(dir, 'data', 'caddy', 'pki', 'authorities', 'local', 'root.crt')
  await until(() => { try { readFileSync(root); return p.log().includes('serving initial configuration') } catch { return false } }, `caddy to start:\n${p.log()}`)
  return { port, ca: () => readFileSync(root), stop: () => stopped(p.child) }
}

/** nginx as in the README, run as a foreground process with its files in the test's folder. */
async function nginx(upstream: number, dir: string, cert: TestCert): Promise<Proxy> {
  const port = await freePort()
  chmodSync(dir, 0o755)
  for (const d of ['body', 'proxy']) chmodSync((mkdirSync(join(dir, d), { recursive: true }), join(dir, d)), 0o777)
  const file = join(dir, 'nginx.conf')
  writeFileSync(file, `pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')};
events {}
http {
  access_log off;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:${port} ssl;
    server_name ${NAME};
    ssl_certificate ${cert.certFile};
    ssl_certificate_key ${cert.keyFile};
    client_max_body_size 20m;
    location / {
      proxy_pass http://127.0.0.1:${upstream};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
    }
  }
}
`)
  const p = await run('nginx', ['-p', dir, '-c', file, '-g', 'daemon off;'])
  await until(async () => (await httpsRequest(`https://${NAME}:${port}/healthz`, cert.cert, { lookup: toLoopback }).then((r) => r.status, () => 0)) === 200, `nginx to start:\n${p.log()}`)
  return { port, stop: () => stopped(p.child) }
}

for (const kind of ['caddy', 'nginx'] as const) {
  const missing = opensslMissing() ?? (has(kind, kind === 'caddy' ? ['version'] : ['-v']) ? undefined : `${kind} is not installed (apt-get install ${kind === 'caddy' ? 'caddy' : 'nginx-light'}): its proxy recipe test is skipped`)
  if (missing) console.warn(`lan.proxy: ${missing}`)

  describe.skipIf(missing !== undefined)(`[S42] behind ${kind}, as the README configures it`, () => {
    let server: ServerProcess
    let proxy: Proxy
    let ca: Buffer
    const people: Persona[] = []
    beforeAll(async () => {
      const dir = mkdtempSync(join(tmpdir(), `fieldchat-${kind}-`))
      const staticDir = join(dir, 'static')
      mkdirSync(staticDir)
      writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>FieldChat</title>')
      server = await startServerProcess({ staticDir, env: { PUBLIC_URL: `https://${NAME}` } })
      if (kind === 'caddy') {
        const c = await caddy(server.port, dir)
        proxy = c
        ca = c.ca()
      } else {
        const cert = makeTestCert(dir, 'proxy', `DNS:${NAME}`)
        proxy = await nginx(server.port, dir, cert)
        ca = cert.cert
      }
    }, 90_000)
    afterAll(async () => {
      await Promise.all(people.map(closePersona))
      await proxy?.stop()
      await server?.kill()
    })
    const base = () => `https://${NAME}:${proxy.port}`

    test('the app and /v1/config over HTTPS; a 4 MiB recovery blob passes the body limit', async () => {
      const index = await httpsRequest(`${base()}/`, ca, { lookup: toLoopback })
      expect([index.status, index.body.toString()]).toEqual([200, '<!doctype html><title>FieldChat</title>'])
      const config = await httpsRequest(`${base()}/v1/config`, ca, { lookup: toLoopback })
      expect(JSON.parse(config.body.toString())).toEqual({ publicUrl: `https://${NAME}` })
      const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
      const put = await httpsRequest(`${base()}/recovery/${hex(randomBytes(32))}`, ca, { method: 'PUT', body: randomBytes(4 * 1024 * 1024), headers: { 'x-fieldchat-write': hex(randomBytes(32)), 'content-type': 'application/octet-stream' }, lookup: toLoopback })
      expect(put.status).toBe(201)
    })

    test('alice and bob exchange messages over wss:// through the proxy', async () => {
      const socket = (url: string) => {
        const ws = new WebSocket(url, { perMessageDeflate: false, ca, lookup: toLoopback })
        ws.on('error', () => undefined)
        return ws as unknown as SocketLike
      }
      const [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => persona(n, `wss://${NAME}:${proxy.port}/sync`, { socket })))
      people.push(alice!, bob!)
      for (const p of people) p.messenger.start()
      const conv = await alice!.messenger.createConversation('Night shift')
      const { link } = await alice!.messenger.invite(conv, `https://${NAME}`)
      await bob!.messenger.join(link)
      await until(() => people.every((p) => p.messenger.conversations().some((c) => c.conv === conv && c.members === 2)), `bob admitted through ${kind}`)
      for (const p of people) await p.messenger.openConversation(conv)
      await alice!.messenger.send(conv, 'pump 3 is down')
      await until(() => texts(bob!, conv).includes('pump 3 is down'), 'alice → bob')
      await bob!.messenger.send(conv, 'on my way')
      await until(() => texts(alice!, conv).includes('on my way'), 'bob → alice')
      for (const p of people) expect(p.problems).toEqual([])
    })
  })
}
