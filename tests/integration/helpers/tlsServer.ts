import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { request } from 'node:https'
import type { LookupFunction } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './serverProcess.js'

/**
 * The real server process serving HTTPS and WSS ([S41]) on 127.0.0.1, with a certificate made by
 * openssl at test time, and the plain https client that trusts exactly that certificate.
 */

/** Why TLS tests cannot run here, or undefined when openssl is on the machine. */
export function opensslMissing(): string | undefined {
  const r = spawnSync('openssl', ['version'], { encoding: 'utf8' })
  return r.status === 0 ? undefined : 'openssl is not installed (apt-get install openssl): the TLS tests are skipped'
}

export interface TestCert {
  readonly dir: string
  readonly certFile: string
  readonly keyFile: string
  readonly cert: Buffer
}

/**
 * A one-day self-signed P-256 certificate for localhost and 127.0.0.1 (a name in subjectAltName:
 * Node and browsers ignore the CN), as the README's recipe makes one.
 */
export function makeTestCert(dir = mkdtempSync(join(tmpdir(), 'fieldchat-tls-')), name = 'server', names = 'DNS:localhost,IP:127.0.0.1'): TestCert {
  const certFile = join(dir, `${name}.crt`)
  const keyFile = join(dir, `${name}.key`)
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', `subjectAltName=${names}`, '-keyout', keyFile, '-out', certFile], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`)
  return { dir, certFile, keyFile, cert: readFileSync(certFile) }
}

export interface HttpsAnswer {
  readonly status: number
  readonly headers: Record<string, string | string[] | undefined>
  readonly body: Buffer
}

/** A DNS lookup that answers 127.0.0.1 for every name: a LAN name such as chat.example.local, here. */
export const toLoopback: LookupFunction = (_host, options, callback) =>
  (options as { all?: boolean }).all ? (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4)

/** One HTTPS request that trusts only `ca` (no global agent, no NODE_TLS_REJECT_UNAUTHORIZED). */
export function httpsRequest(url: string, ca: Buffer, init: { method?: string; body?: Uint8Array; headers?: Record<string, string>; lookup?: LookupFunction } = {}): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', ca, agent: false, ...(init.headers ? { headers: init.headers } : {}), ...(init.lookup ? { lookup: init.lookup } : {}) }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(init.body)
  })
}

export interface TlsServerProcess {
  readonly port: number
  /** https://127.0.0.1:port */
  readonly httpsUrl: string
  /** wss://127.0.0.1:port/sync */
  readonly url: string
  output(): string
  kill(): Promise<void>
}

/** `args` come after the port, data and static flags: the TLS and public URL flags under test. */
export async function startTlsServerProcess(cert: TestCert, args: readonly string[], options: { staticDir?: string; env?: Record<string, string>; port?: number } = {}): Promise<TlsServerProcess> {
  const port = options.port ?? (await freePort())
  const dataDir = mkdtempSync(join(tmpdir(), 'fieldchat-server-'))
  let log = ''
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'sync-server/main.ts', '--port', String(port), '--host', '127.0.0.1', '--data', dataDir, '--static', options.staticDir ?? join(dataDir, 'no-static'), ...args], {
    cwd: process.cwd(),
    env: { ...process.env, LOG_LEVEL: 'info', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()))
  const httpsUrl = `https://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${log}`)
    const up = await httpsRequest(`${httpsUrl}/healthz`, cert.cert).then((r) => r.status === 200, () => false)
    // The readiness line is printed right after listening: wait for it too, so output() has it.
    if (up && log.includes('fieldchat is running at')) break
    if (Date.now() > deadline) throw new Error(`server did not start:\n${log}`)
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    port,
    httpsUrl,
    url: `wss://127.0.0.1:${port}/sync`,
    output: () => log,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    },
  }
}

export interface Refusal {
  readonly code: number | null
  readonly stderr: string
}

/** main.ts run to its exit with flags (and environment) it must refuse before starting anything. */
export function runRefused(args: readonly string[], env: Record<string, string> = {}): Promise<Refusal> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'sync-server/main.ts', ...args], { cwd: process.cwd(), env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`main.ts ${args.join(' ')} did not exit:\n${stderr}`))
    }, 60_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stderr })
    })
  })
}
