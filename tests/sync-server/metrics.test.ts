import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { WebSocket } from 'ws'
import { capabilityProofBytes, generateEpochKey, mailDest, randomBytes } from '../../crypto/index.js'
import { BlobErrorCode, decodeServerFrame, encodeFrame, type ClientMessage, type Join, type ServerMessage } from '../../protocol/index.js'
import { startSyncServer, SYNC_PATH, type RunningServer } from '../../sync-server/server.js'
import { helloFor } from '../helpers/hello.js'
import { captureLogs, Device, Room } from './harness.js'

/**
 * [S19] /metrics against a real server on 127.0.0.1 with its SQLite store, after one real session
 * (hello, join, subscribe, push, live fan-out, mail, refusals, a backlog); [S8] the same session's
 * logs and metrics hold none of its ids, keys, addresses or payloads.
 */

/** A raw protocol client on a real socket, with every frame it received. */
class Client {
  readonly frames: ServerMessage[] = []
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const decoded = decodeServerFrame(new Uint8Array(data))
      if (!decoded.ok) throw new Error(`server sent an invalid frame: ${decoded.reason}`)
      this.frames.push(decoded.message)
    })
  }
  static async open(url: string): Promise<Client> {
    const ws = new WebSocket(url.replace('http', 'ws') + SYNC_PATH, { perMessageDeflate: false })
    // Listening before the socket opens: the challenge can come in the same read as the upgrade.
    const client = new Client(ws)
    await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)))
    await client.until('challenge', 0)
    return client
  }
  get challenge(): Uint8Array {
    const first = this.frames[0]
    if (first?.type !== 'challenge') throw new Error('no challenge')
    return first.nonce
  }
  /** The first frame of `type` at or after index `from`. */
  async until<T extends ServerMessage['type']>(type: T, from: number): Promise<Extract<ServerMessage, { type: T }>> {
    let found: ServerMessage | undefined
    await vi.waitFor(() => {
      found = this.frames.slice(from).find((f) => f.type === type)
      if (!found) throw new Error(`waiting for ${type}; got ${this.frames.map((f) => f.type).join(' ')}`)
    }, { timeout: 5000, interval: 5 })
    return found as Extract<ServerMessage, { type: T }>
  }
  /** Sends and waits for the answer of `type`. */
  async ask<T extends ServerMessage['type']>(msg: ClientMessage | Uint8Array | string, type: T): Promise<Extract<ServerMessage, { type: T }>> {
    const from = this.frames.length
    this.ws.send(typeof msg === 'string' || msg instanceof Uint8Array ? msg : encodeFrame(msg))
    return this.until(type, from)
  }
  close(): void {
    this.ws.close()
  }
}

async function joinFrame(room: Room, challenge: Uint8Array, creator: boolean): Promise<Join> {
  const cap = room.capability
  const proof = await cap.signer.sign(capabilityProofBytes(challenge, room.conv, room.epoch))
  return { type: 'join', conv: room.conv, epoch: room.epoch, cap: cap.publicKey, proof, ...(creator ? { admin: room.admin, origin: room.origin } : {}) }
}

// Personas: alice creates the room and writes; bob reads live; carol is offline when mail comes;
// dave joins later and reads the backlog.
const alice = new Device('alice')
const bob = new Device('bob')
const carol = new Device('carol')
const dave = new Device('dave')
const room = new Room(0, generateEpochKey(), alice)
const strangerConv = randomBytes(16)
const mailBody = randomBytes(300)
let envelopes: Uint8Array[] = []

const dir = mkdtempSync(join(tmpdir(), 'fieldchat-metrics-'))
const captured = captureLogs()
let server: RunningServer
let clients: Client[] = []
let exposition = ''
let healthz: Record<string, unknown> = {}

beforeAll(async () => {
  server = await startSyncServer({ port: 0, host: '127.0.0.1', dataDir: dir, log: captured.log })
  const online = async (device: Device) => {
    const client = await Client.open(server.url)
    clients.push(client)
    await client.ask(await helloFor(device.keys, client.challenge), 'welcome')
    return client
  }
  const a = await online(alice)
  await a.ask(await joinFrame(room, a.challenge, true), 'joined')
  const b = await online(bob)
  await b.ask(await joinFrame(room, b.challenge, false), 'joined')
  await b.ask({ type: 'subscribe', conv: room.conv, doc: room.doc, cursor: 0 }, 'caught-up')

  envelopes = [await alice.envelope(room), await alice.envelope(room)]
  const live = b.frames.length
  await a.ask({ type: 'push', id: 1, envelopes }, 'ack')
  await b.until('envelopes', live)
  const mailed = b.frames.length
  await a.ask({ type: 'mail', id: 2, to: [bob.mailbox, carol.mailbox], items: [mailBody] }, 'ack')
  await b.until('mailbox', mailed)

  // Refusals: a text frame and undecodable bytes (BAD_FRAME), a subscribe without a join (NOT_JOINED).
  await a.ask('hello', 'error')
  await a.ask(new Uint8Array([0xff, 0x00, 0x13]), 'error')
  await a.ask({ type: 'subscribe', conv: strangerConv, doc: room.doc, cursor: 0 }, 'error')
  await a.ask({ type: 'ping', t: 1 }, 'pong')

  const c = await online(carol)
  await c.until('mailbox', 0)
  const d = await online(dave)
  await d.ask(await joinFrame(room, d.challenge, false), 'joined')
  await d.ask({ type: 'subscribe', conv: room.conv, doc: room.doc, cursor: 0 }, 'caught-up')
  // One socket that never says hello.
  clients.push(await Client.open(server.url))

  const res = await fetch(`${server.url}/metrics`)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
  exposition = await res.text()
  healthz = (await (await fetch(`${server.url}/healthz`)).json()) as Record<string, unknown>
})

afterAll(async () => {
  for (const c of clients) c.close()
  clients = []
  await server?.close()
  rmSync(dir, { recursive: true, force: true })
})

// ---- The Prometheus text format (version 0.0.4), parsed strictly. ----

interface Sample { name: string; labels: Record<string, string>; value: number }
interface Family { type: string; help: string; samples: Sample[] }

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity
  if (text === '-Inf') return -Infinity
  if (text === 'NaN') return NaN
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`bad value ${text}`)
  return Number(text)
}

/** The family a sample belongs to: a histogram's _bucket, _sum and _count belong to its base name. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const base = name.replace(/_(bucket|sum|count)$/, '')
  const hist = families.get(base)
  if (hist && base !== name && (hist.type === 'histogram' || hist.type === 'summary')) return hist
  return families.get(name)
}

function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>()
  const help = new Map<string, string>()
  expect(text.endsWith('\n'), 'exposition ends with a newline').toBe(true)
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line)
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string]
      expect(name, line).toMatch(NAME)
      if (kind === 'HELP') help.set(name, rest)
      else {
        expect(['counter', 'gauge', 'histogram', 'summary', 'untyped'], line).toContain(rest)
        expect(families.has(name), `TYPE ${name} once`).toBe(false)
        families.set(name, { type: rest, help: help.get(name) ?? '', samples: [] })
      }
      continue
    }
    expect(line.startsWith('#'), `unexpected comment: ${line}`).toBe(false)
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line)
    if (!m) throw new Error(`not a sample line: ${line}`)
    const [, name, labelText = '', value] = m as unknown as [string, string, string | undefined, string]
    const labels: Record<string, string> = {}
    LABEL.lastIndex = 0
    while (LABEL.lastIndex < labelText.length) {
      const l = LABEL.exec(labelText)
      if (!l) throw new Error(`bad labels: ${line}`)
      expect(labels[l[1]!], `label ${l[1]} once`).toBeUndefined()
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
    }
    const family = familyOf(name, families)
    if (!family) throw new Error(`sample before its TYPE: ${line}`)
    family.samples.push({ name, labels, value: parseValue(value) })
  }
  // Histograms: cumulative buckets ending in +Inf, equal to _count.
  for (const [name, f] of families) {
    if (f.type !== 'histogram') continue
    const series = new Map<string, Sample[]>()
    for (const s of f.samples.filter((x) => x.name === `${name}_bucket`)) {
      const { le, ...rest } = s.labels
      expect(le, `${name} bucket has le`).toBeDefined()
      const key = JSON.stringify(rest)
      series.set(key, [...(series.get(key) ?? []), s])
    }
    for (const [key, buckets] of series) {
      for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value)
      expect(buckets.at(-1)!.labels.le).toBe('+Inf')
      const count = f.samples.find((x) => x.name === `${name}_count` && JSON.stringify(x.labels) === key)
      expect(count?.value).toBe(buckets.at(-1)!.value)
    }
  }
  return families
}

/** The value of one sample: `name` with exactly `labels`. */
function sample(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const family = familyOf(name, families)
  return family?.samples.find((s) => s.name === name && JSON.stringify(s.labels) === JSON.stringify(labels))?.value
}

// ---- [S19] Every metric of the server, and the closed set of every label it may carry. ----

const CLIENT_TYPES = ['hello', 'join', 'rekey', 'push', 'subscribe', 'unsubscribe', 'ping', 'mail', 'mail-done', 'signal', 'push-register', 'push-unregister', 'wake', 'turn']
const SERVER_TYPES = ['challenge', 'welcome', 'joined', 'ack', 'envelopes', 'snapshots', 'caught-up', 'pong', 'mailbox', 'error', 'relay', 'turn-credentials']
const CODES: Record<string, string> = {
  1000: 'BAD_FRAME', 1001: 'FRAME_TOO_LARGE', 1002: 'RATE_LIMITED', 1003: 'VERSION_MISMATCH', 1004: 'NOT_AUTHENTICATED', 1005: 'AUTH_FAILED',
  1006: 'IDLE_TIMEOUT', 1007: 'SLOW_READER', 1100: 'NOT_JOINED', 1101: 'CAPABILITY_REJECTED', 1102: 'CAPABILITY_REVOKED', 1103: 'REKEY_CONFLICT',
  1104: 'NOT_REGISTERED', 1200: 'BAD_ENVELOPE', 1202: 'SEQ_GAP', 1203: 'CHAIN_BROKEN', 1204: 'EQUIVOCATION', 1205: 'STALE_EPOCH', 1300: 'MAILBOX_FULL',
  1500: 'INTERNAL',
}
const BOOL = ['true', 'false']
const OWN: Record<string, { type: string; labels: Record<string, readonly string[]> }> = {
  fieldchat_connections: { type: 'gauge', labels: { state: ['authenticated', 'unauthenticated'] } },
  fieldchat_frames_in_total: { type: 'counter', labels: { type: [...CLIENT_TYPES, 'invalid'] } },
  fieldchat_frames_out_total: { type: 'counter', labels: { type: SERVER_TYPES } },
  fieldchat_rejections_total: { type: 'counter', labels: { code: Object.keys(CODES), name: Object.values(CODES), fatal: BOOL } },
  fieldchat_rate_limit_actions_total: { type: 'counter', labels: { action: ['refused', 'paused', 'closed'] } },
  fieldchat_envelopes_received_total: { type: 'counter', labels: {} },
  fieldchat_envelopes_sent_total: { type: 'counter', labels: { live: BOOL } },
  fieldchat_envelopes_stored_total: { type: 'counter', labels: {} },
  fieldchat_envelope_bytes_stored_total: { type: 'counter', labels: {} },
  fieldchat_mail_items_stored_total: { type: 'counter', labels: {} },
  fieldchat_mail_bytes_stored_total: { type: 'counter', labels: {} },
  fieldchat_store_commit_seconds: { type: 'histogram', labels: { op: ['append', 'post_mail'] } },
  fieldchat_fanout_lag_seconds: { type: 'histogram', labels: {} },
  fieldchat_mailbox_depth: { type: 'gauge', labels: {} },
  fieldchat_store_writable: { type: 'gauge', labels: {} },
  fieldchat_blob_requests_total: { type: 'counter', labels: { op: ['create', 'status', 'put', 'data', 'remove', 'invalid'], code: ['ok', ...Object.values(BlobErrorCode)] } },
  fieldchat_blob_bytes_total: { type: 'counter', labels: { way: ['in', 'out'] } },
}
/** prom-client's process metrics: about the process, with its own fixed labels (GC kind, heap space, Node version). */
const PROCESS_LABELS = new Set(['kind', 'space', 'type', 'version', 'major', 'minor', 'patch'])

describe('[S19] GET /metrics: Prometheus text after a real session', () => {
  test('[S19] the exposition parses as Prometheus text; every family is the server\'s own or a process metric', () => {
    const families = parseExposition(exposition)
    for (const [name, spec] of Object.entries(OWN)) expect(families.get(name)?.type, name).toBe(spec.type)
    for (const [name, family] of families) {
      expect(name.startsWith('fieldchat_'), name).toBe(true)
      expect(family.help.length, `${name} has help`).toBeGreaterThan(0)
      if (!OWN[name]) expect(name, 'a process metric').toMatch(/^fieldchat_(process|nodejs)_/)
    }
    expect(sample(families, 'fieldchat_process_cpu_user_seconds_total')).toBeGreaterThan(0)
  })

  test('[S19] no label name or value outside the closed sets', () => {
    const families = parseExposition(exposition)
    for (const [name, family] of families) {
      const spec = OWN[name]
      for (const s of family.samples) {
        for (const [label, value] of Object.entries(s.labels)) {
          if (label === 'le' && family.type === 'histogram') continue
          if (!spec) {
            expect(PROCESS_LABELS.has(label), `${s.name} label ${label}`).toBe(true)
            continue
          }
          expect(spec.labels[label], `${s.name} label ${label}`).toBeDefined()
          expect(spec.labels[label], `${s.name} ${label}="${value}"`).toContain(value)
        }
        if (s.labels.code) expect(s.labels.name).toBe(CODES[s.labels.code])
      }
    }
  })

  test('[S19] frames in and out are counted by type; undecodable bytes as invalid', () => {
    const families = parseExposition(exposition)
    const framesIn = (type: string) => sample(families, 'fieldchat_frames_in_total', { type })
    // Four hellos, three joins, three subscribes (one refused), one push, one mail, one ping, one undecodable frame.
    expect(Object.fromEntries(['hello', 'join', 'subscribe', 'push', 'mail', 'ping', 'invalid', 'rekey', 'mail-done'].map((t) => [t, framesIn(t)]))).toEqual({
      hello: 4, join: 3, subscribe: 3, push: 1, mail: 1, ping: 1, invalid: 1, rekey: 0, 'mail-done': 0,
    })
    const framesOut = (type: string) => sample(families, 'fieldchat_frames_out_total', { type })
    expect(Object.fromEntries(SERVER_TYPES.map((t) => [t, framesOut(t)]))).toEqual({
      challenge: 5, welcome: 4, joined: 3, ack: 2, envelopes: 2, snapshots: 0, 'caught-up': 2, pong: 1, mailbox: 2, error: 3, relay: 0, 'turn-credentials': 0,
    })
  })

  test('[S19] rejections by code: the text frame and the undecodable one are BAD_FRAME, the subscribe without a join NOT_JOINED', () => {
    const families = parseExposition(exposition)
    expect(sample(families, 'fieldchat_rejections_total', { code: '1000', name: 'BAD_FRAME', fatal: 'false' })).toBe(2)
    expect(sample(families, 'fieldchat_rejections_total', { code: '1100', name: 'NOT_JOINED', fatal: 'false' })).toBe(1)
    expect(families.get('fieldchat_rejections_total')!.samples.reduce((n, s) => n + s.value, 0)).toBe(3)
    for (const action of ['refused', 'paused', 'closed']) expect(sample(families, 'fieldchat_rate_limit_actions_total', { action })).toBe(0)
  })

  test('[S19] envelopes and mail stored, with their bytes; the commits were timed and the live delivery\'s fan-out lag observed', () => {
    const families = parseExposition(exposition)
    expect(sample(families, 'fieldchat_envelopes_received_total')).toBe(2)
    expect(sample(families, 'fieldchat_envelopes_stored_total')).toBe(2)
    expect(sample(families, 'fieldchat_envelope_bytes_stored_total')).toBe(envelopes[0]!.length + envelopes[1]!.length)
    expect(sample(families, 'fieldchat_mail_items_stored_total')).toBe(1)
    expect(sample(families, 'fieldchat_mail_bytes_stored_total')).toBe(mailBody.length)
    for (const op of ['append', 'post_mail']) {
      expect(sample(families, 'fieldchat_store_commit_seconds_count', { op }), op).toBe(1)
      expect(sample(families, 'fieldchat_store_commit_seconds_sum', { op }), op).toBeGreaterThan(0)
    }
    // Bob got both envelopes live (one frame); dave got them as backlog.
    expect(sample(families, 'fieldchat_fanout_lag_seconds_count')).toBe(1)
    expect(sample(families, 'fieldchat_envelopes_sent_total', { live: 'true' })).toBe(2)
    expect(sample(families, 'fieldchat_envelopes_sent_total', { live: 'false' })).toBe(2)
  })

  test('[S19] gauges: connections by state, mailbox depth, a writable store', () => {
    const families = parseExposition(exposition)
    expect(sample(families, 'fieldchat_connections', { state: 'authenticated' })).toBe(4)
    expect(sample(families, 'fieldchat_connections', { state: 'unauthenticated' })).toBe(1)
    // One item for bob and carol, unread: two rows.
    expect(sample(families, 'fieldchat_mailbox_depth')).toBe(2)
    expect(sample(families, 'fieldchat_store_writable')).toBe(1)
  })

  test('[S7] /healthz keeps its counters, fed by the same metrics', () => {
    expect(healthz).toMatchObject({ ok: true, connections: 5, envelopesIn: 2, envelopesOut: 4, framesRejected: 3 })
  })
})

// ---- [S8] The session's logs and metrics hold none of its ids, keys, addresses or payloads. ----

/** The ways a byte string could show up in text: hex, base64, base64url, a JSON array or object of its bytes. */
function spellings(bytes: Uint8Array): string[] {
  const b = Buffer.from(bytes)
  const hex = b.toString('hex')
  return [hex, hex.toUpperCase(), b.toString('base64').replace(/=+$/, ''), b.toString('base64url'), `[${[...bytes.subarray(0, 8)].join(',')}`,
    [...bytes.subarray(0, 6)].map((v, i) => `"${i}":${v}`).join(',')]
}

/** Every 12-byte window of `bytes` (a payload may be logged in part), skipping runs too regular to tell (padding). */
function windows(bytes: Uint8Array, size = 12): Uint8Array[] {
  if (bytes.length <= size) return [bytes]
  const out: Uint8Array[] = []
  for (let i = 0; i + size <= bytes.length; i++) {
    const w = bytes.subarray(i, i + size)
    if (new Set(w).size >= 8) out.push(w)
  }
  return out
}

function leaks(text: string): string[] {
  const secrets: [string, Uint8Array][] = [
    ['conversation id', room.conv], ['document id', room.doc], ['origin', room.origin], ['capability key', room.capability.publicKey],
    ['admin key', room.admin], ['other conversation id', strangerConv],
    ...[alice, bob, carol, dave].flatMap((d): [string, Uint8Array][] => [
      [`${d.name} device key`, d.keys.signPublic], [`${d.name} box key`, d.keys.boxPublic],
      [`${d.name} mailbox address`, d.mailbox], [`${d.name} mailbox destination`, mailDest(d.mailbox)],
    ]),
  ]
  const payloads: [string, Uint8Array][] = [['envelope 1', envelopes[0]!], ['envelope 2', envelopes[1]!], ['mail body', mailBody]]
  const found: string[] = []
  for (const [what, bytes] of [...secrets, ...payloads.flatMap(([what, p]) => windows(p).map((w): [string, Uint8Array] => [what, w]))]) {
    for (const s of spellings(bytes)) if (text.includes(s)) found.push(`${what} as ${s.slice(0, 16)}…`)
  }
  return [...new Set(found)]
}

describe('[S8][S19] nothing of the session in the logs or the metrics', () => {
  test('[S8] control: the scan finds an id, a key and a slice of a payload however they are spelled', () => {
    const line = JSON.stringify({ conv: Buffer.from(room.conv).toString('base64url'), device: Buffer.from(bob.keys.signPublic).toString('hex'), part: Buffer.from(mailBody.subarray(100, 140)) })
    expect(leaks(line)).toEqual(expect.arrayContaining([expect.stringMatching(/^conversation id/), expect.stringMatching(/^bob device key/), expect.stringMatching(/^mail body/)]))
  })

  test('[S8] the JSON log lines of the whole session name no conversation, document, device key, mailbox address or payload', () => {
    const logs = captured.lines.join('')
    expect(captured.lines.length).toBeGreaterThan(5)
    // The lines are JSON objects, one per line.
    for (const line of captured.lines) expect(() => JSON.parse(line)).not.toThrow()
    expect(leaks(logs)).toEqual([])
  })

  test('[S19] the /metrics text names none of them either', () => {
    expect(exposition.length).toBeGreaterThan(1000)
    expect(leaks(exposition)).toEqual([])
  })
})

describe('[S19] /metrics behind a bearer token', () => {
  test('[S19] with --metrics-token set: 401 without it or with a wrong one, 200 with it; /healthz stays open', async () => {
    const guarded = await startSyncServer({ port: 0, host: '127.0.0.1', dataDir: join(dir, 'guarded'), log: captureLogs().log, metricsToken: 'operator-secret' })
    try {
      const none = await fetch(`${guarded.url}/metrics`)
      expect(none.status).toBe(401)
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/)
      expect((await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer operator-secreT' } })).status).toBe(401)
      const ok = await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer operator-secret' } })
      expect(ok.status).toBe(200)
      expect(await ok.text()).toContain('fieldchat_frames_in_total')
      expect((await fetch(`${guarded.url}/healthz`)).status).toBe(200)
    } finally {
      await guarded.close()
    }
  })
})
