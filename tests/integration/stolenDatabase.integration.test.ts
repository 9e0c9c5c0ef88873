import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, expect, test } from 'vitest'
import type { ConvId } from '../../protocol/index.js'
import { closePersona, persona, texts, until, type Persona } from './helpers/clients.js'
import { startServerProcess, type ServerProcess } from './helpers/serverProcess.js'
import { switchableLink, type Link } from './helpers/switchableSocket.js'
import { enrol, groupWith, userOf } from './helpers/team.js'

/**
 * An attacker copies the sync server's data folder (every file: the database, its -wal and -shm)
 * and its logs, after a scripted organisation life, and also once in the night, while every
 * device but the admin's is offline and the mail of a removal waits in their mailboxes.
 * The attacker knows every device's public keys (they are public) and tries to learn who
 * writes where, who is in which group and how big groups are.
 */
type Stolen = { files: [string, Buffer][]; dbs: string[] }
const tag = `MARKER-${randomBytes(5).toString('hex')}`
const markers: string[] = [tag]
const mark = (what: string) => (markers.push(`${tag}-${what}`), `${tag}-${what}`)
let server: ServerProcess
const people: { p: Persona; link: Link }[] = []
const open = new Set<Persona>()
let night: Stolen, final: Stolen, log = ''
let convs: Record<'org' | 'pair' | 'trio' | 'all', ConvId>
/** Conversations whose key the night's removal rotated, with their device count after it. */
let nightRotations: { conv: string; devices: number }[] = []

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex')
const filesUnder = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)]))

/** Reads every file of the data folder and writes a copy elsewhere (the attacker's), SQLite files found by header. */
function steal(dir: string): Stolen {
  const copy = mkdtempSync(join(tmpdir(), 'fieldchat-stolen-'))
  const files = filesUnder(dir).map((f) => [f, readFileSync(f)] as [string, Buffer])
  for (const [f, bytes] of files) mkdirSync(dirname(join(copy, relative(dir, f))), { recursive: true }), writeFileSync(join(copy, relative(dir, f)), bytes)
  const dbs = files.filter(([, b]) => b.subarray(0, 16).toString('latin1') === 'SQLite format 3\0').map(([f]) => join(copy, relative(dir, f)))
  return { files, dbs }
}

/** Every table of every stolen database, all rows, columns found by introspection. */
function tablesOf(stolen: Stolen): { table: string; rows: Record<string, unknown>[]; fks: string[] }[] {
  return stolen.dbs.flatMap((file) => {
    const db = new Database(file, { readonly: true, fileMustExist: true })
    try {
      const names = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all()
      return names.map(({ name }) => ({
        table: name,
        rows: db.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[],
        fks: db.prepare<[string], { from: string }>('SELECT "from" FROM pragma_foreign_key_list(?)').all(name).map((f) => f.from),
      }))
    } finally {
      db.close()
    }
  })
}

/** A 32-byte value, as raw bytes or as 43-char base64url / 64-char hex text, as hex; else undefined. */
function key32(v: unknown): string | undefined {
  if (v instanceof Uint8Array) return v.length === 32 ? hexOf(v) : undefined
  if (typeof v === 'string' && /^[A-Za-z0-9_-]{43}$/.test(v)) return hexOf(Buffer.from(v, 'base64url'))
  if (typeof v === 'string' && /^[0-9a-fA-F]{64}$/.test(v)) return v.toLowerCase()
  return undefined
}
const id16 = (v: unknown) => (v instanceof Uint8Array && v.length === 16 ? hexOf(v) : typeof v === 'string' && /^[A-Za-z0-9_-]{22}$/.test(v) ? hexOf(Buffer.from(v, 'base64url')) : undefined)

/** Every device's public keys (Ed25519 signing, X25519 box), by persona: from `messenger.identity.keys`. */
const deviceKeys = () => people.flatMap(({ p }) => [[`${p.name} signPublic`, p.messenger.identity!.keys.signPublic], [`${p.name} boxPublic`, p.messenger.identity!.keys.boxPublic]] as [string, Uint8Array][])
const haystacks = () => [...night.files.map(([f, b]) => [`night ${f}`, b] as [string, Buffer]), ...final.files.map(([f, b]) => [`final ${f}`, b] as [string, Buffer]), ['server log', Buffer.from(log)] as [string, Buffer]]

async function member(name: string): Promise<Persona> {
  const link = switchableLink()
  const p = await persona(name, server.url, { socket: link.socket })
  people.push({ p, link })
  open.add(p)
  p.messenger.start()
  return p
}
type Label = 'org' | 'pair' | 'trio' | 'all'
/** Each author writes one marked text in the conversation `label`; `reads` checks every reader has them all. */
const sendAll = async (label: Label, authors: Persona[], when = '') => { for (const a of authors) await a.messenger.send(convs[label], mark(`text-${label}${when}-${a.name.split(' ')[0]}`)) }
const reads = (readers: Record<Label, Persona[]>) => (Object.keys(convs) as Label[]).every((l) => readers[l].every((r) => markers.filter((m) => m.startsWith(`${tag}-text-${l}`)).every((m) => texts(r, convs[l]).includes(m))))

beforeAll(async () => {
  server = await startServerProcess()
  const [admin, bob, carol, dave, erin] = await Promise.all(['Admin', 'Bob', 'Carol', 'Dave', 'Erin'].map((n) => member(`${n} ${mark(`name-${n}`)}`)))
  const all5 = [admin!, bob!, carol!, dave!, erin!]
  const org = await enrol(admin!, all5.slice(1), mark('org-name'))
  // [T17] Bob links a laptop.
  const laptop = await member(`Bob laptop ${mark('name-laptop')}`)
  await laptop.messenger.team.acceptInvite((await bob!.messenger.team.linkDevice(org, 'http://x')).link)
  await until(() => laptop.messenger.team.orgs().length === 1 && admin!.messenger.team.memberDevices(org).length === 6, 'laptop linked and keyed')
  // Three overlapping groups: 2, 3 and 5 people (2, 4 and 6 devices); Bob is an admin of the trio.
  const pair = await groupWith(admin!, org, mark('group-pair'), [carol!])
  const trio = await groupWith(admin!, org, mark('group-trio'), [bob!, dave!])
  const all = await groupWith(admin!, org, mark('group-all'), [bob!, carol!, dave!, erin!])
  convs = { org, pair, trio, all }
  await until(() => [trio, all].every((g) => laptop.messenger.conversations().some((c) => c.conv === g)), 'laptop has the groups')
  for (const p of all5) await p.messenger.openConversation(org)
  for (const g of [org, trio, all]) await laptop.messenger.openConversation(g)
  await admin!.messenger.team.setGroupAdmin(trio, userOf(bob!, org), true)
  await until(() => bob!.messenger.team.canAdmin(trio) && !!bob!.messenger.team.core.spaces.keysOf(trio).adminSecret, 'bob is a group admin')
  await sendAll('org', [admin!, erin!, carol!])
  await sendAll('pair', [admin!, carol!])
  await sendAll('trio', [bob!, dave!, laptop, admin!])
  await sendAll('all', [...all5, laptop])
  const readers = { org: [...all5, laptop], pair: [admin!, carol!], trio: [admin!, bob!, dave!, laptop], all: [...all5, laptop] }
  await until(() => reads(readers), 'every message read everywhere')
  // Removal 1: Bob, a group admin, removes Dave from the trio.
  await bob!.messenger.team.removeFromGroup(trio, userOf(dave!, org))
  await until(() => dave!.messenger.accessLost(trio) && admin!.messenger.team.memberDevices(trio).length === 3, 'dave out of the trio')
  await until(() => people.every(({ p }) => p.messenger.status.pending === 0), 'quiet before the night')
  await new Promise((r) => setTimeout(r, 500)) // mail-done of everything delivered so far
  // The night: everyone but the admin is offline; Admin removes Erin from the organisation.
  for (const { p, link } of people) if (p !== admin) link.setOnline(false)
  await admin!.messenger.team.removeFromOrg(org, userOf(erin!, org))
  const erinDevice = erin!.messenger.team.core.me
  await until(() => [org, all].every((c) => { const s = admin!.messenger.team.core.spaces.state(c); return !!s?.current && !s.needsRotation && !s.current.recipients.includes(erinDevice) }) && admin!.messenger.status.pending === 0, 'the night rotation is posted')
  await new Promise((r) => setTimeout(r, 300))
  nightRotations = [org, all].map((c) => ({ conv: c, devices: admin!.messenger.team.memberDevices(c).length }))
  night = steal(server.dataDir)
  // Morning: everyone back; Erin is out of everything; the others carry on.
  for (const { link } of people) link.setOnline(true)
  await until(() => erin!.messenger.accessLost(org) && erin!.messenger.accessLost(all), 'erin told she is out')
  readers.org = readers.all = [admin!, bob!, carol!, dave!, laptop]
  readers.trio = [admin!, bob!, laptop]
  await until(() => readers.all.every((p) => p.messenger.team.memberDevices(all).length === 5), 'everyone sees erin gone')
  await sendAll('org', [carol!], '-after')
  await sendAll('pair', [carol!], '-after')
  await sendAll('trio', [laptop], '-after')
  await sendAll('all', [dave!], '-after')
  await until(() => reads(readers) && people.every(({ p }) => p === erin || p.messenger.status.pending === 0), 'everything synced')
  for (const p of [...open]) {
    await closePersona(p)
    open.delete(p)
  }
  await server.kill('SIGTERM')
  log = server.output()
  final = steal(server.dataDir)
}, 120_000)

afterAll(async () => {
  for (const p of open) await closePersona(p)
  await server?.kill('SIGKILL')
})

test('[S12][S2][S11] no device public key of any person appears in any stolen file or the log, in any encoding', () => {
  const leaks = new Set<string>()
  for (const [where, hay] of haystacks()) {
    const text = hay.toString('latin1')
    for (const [what, key] of deviceKeys()) {
      const b = Buffer.from(key)
      if (hay.includes(b)) leaks.add(`${what} raw in ${where}`)
      const encodings = { hex: b.toString('hex'), HEX: b.toString('hex').toUpperCase(), base64: b.toString('base64'), 'base64 unpadded': b.toString('base64').replace(/=+$/, ''), base64url: b.toString('base64url') }
      for (const [enc, needle] of Object.entries(encodings)) if (text.includes(needle)) leaks.add(`${what} ${enc} in ${where}`)
    }
  }
  expect([...leaks]).toEqual([])
})

test('[S12] no name, title or message text (marker strings) appears in any stolen file or the log', () => {
  const leaks: string[] = []
  for (const [where, hay] of haystacks()) for (const m of markers) for (const enc of ['utf8', 'utf16le'] as const) if (hay.includes(Buffer.from(m, enc))) leaks.push(`${m} (${enc}) in ${where}`)
  expect(leaks).toEqual([])
})

test('[S12][S3][S4] no stored value links an author across conversations', () => {
  // Which rows belong to which conversation: rows holding a conversation id, or a document id
  // that the store itself ties to a conversation (a row holding both). This is the server's own
  // knowledge ([S5] subscribe names conv and doc), found by introspection, not column names.
  const tables = tablesOf(final)
  const convIds = new Map<string, string>(Object.values(convs).map((c) => [id16(c)!, c]))
  const owner = new Map(convIds)
  for (const { rows } of tables) for (const row of rows) {
    const conv = Object.values(row).map(id16).find((k) => k && convIds.has(k))
    if (conv) for (const v of Object.values(row)) if (id16(v) && !owner.has(id16(v)!)) owner.set(id16(v)!, owner.get(conv)!)
  }
  // Every 32-byte value (raw, base64url or hex) of a conversation's rows, by conversation.
  const seen = new Map<string, { convs: Set<string>; where: Set<string> }>()
  const attributed = new Set<string>()
  for (const { table, rows } of tables) for (const row of rows) {
    const conv = Object.values(row).map(id16).map((k) => k && owner.get(k)).find(Boolean)
    if (!conv) continue
    attributed.add(conv)
    for (const [col, v] of Object.entries(row)) {
      const k = key32(v)
      if (!k) continue
      const e = seen.get(k) ?? { convs: new Set(), where: new Set() }
      e.convs.add(conv), e.where.add(`${table}.${col}`), seen.set(k, e)
    }
  }
  expect(attributed.size, 'the store must still tie envelopes to the 4 conversations (extend the row→conversation mapping if ids are stored transformed)').toBe(4)
  const named = new Map(deviceKeys().map(([what, k]) => [hexOf(k), what]))
  const links = [...seen].filter(([, e]) => e.convs.size > 1).map(([k, e]) => `${[...e.where].join(', ')}: ${named.get(k) ?? k.slice(0, 12)} in ${e.convs.size} conversations`)
  expect(links).toEqual([])
})

const mailTables = (stolen: Stolen) => tablesOf(stolen).filter((t) => /mail|box/i.test(t.table))

test('[S12][S11] no mail table holds a device key (recipient, sender) in any 32-byte column, night or final', () => {
  expect(mailTables(night).length, 'mail is stored in tables named *mail* / *box*').toBeGreaterThan(0)
  const named = new Map(deviceKeys().map(([what, k]) => [hexOf(k), what]))
  const leaks = new Set<string>()
  for (const [when, stolen] of [['night', night], ['final', final]] as const) for (const { table, rows } of mailTables(stolen)) for (const row of rows) {
    for (const [col, v] of Object.entries(row)) if (named.has(key32(v) ?? '')) leaks.add(`${when} ${table}.${col}: ${named.get(key32(v)!)}`)
  }
  expect([...leaks]).toEqual([])
})

test('[S12][S11] the night copy holds the waiting mail (the attacks below have something to work on)', () => {
  expect(mailTables(night).reduce((n, t) => n + t.rows.length, 0)).toBeGreaterThan(0)
})

// Recurrence: a device's destination is the same on every item it receives. Decoys are drawn
// from the organisation's pool (crypto [K8]), so they recur across items too: counting the
// destinations seen on two or more waiting items must not give the night's rotated groups'
// recipients (D - 1, everyone but the posting admin) or their device count D.
test('[S12][S11][M27] addresses that recur across waiting items do not single out the real recipients', () => {
  const seen = new Map<string, number>()
  for (const { rows } of mailTables(night)) for (const row of rows) for (const v of Object.values(row)) {
    const k = key32(v)
    if (k) seen.set(k, (seen.get(k) ?? 0) + 1)
  }
  const recurring = [...seen.values()].filter((n) => n >= 2).length
  expect(nightRotations.some(({ devices }) => recurring === devices - 1 || recurring === devices)).toBe(false)
})

// Fan-out: every post is padded with decoys to a bucket ([M27]), and decoys leave in step with
// the reads (protocol [S11], ChangeStore invariant 8), so an item that some have read keeps about
// `fanout · unread / recipients` rows, and none once everyone has: no item's row count is the
// size of a group the night's removal rotated.
test('[S12][S11][T6] the mail waiting in the night does not tell the size of the groups the removal rotated', () => {
  // What is asserted: in the night copy (every device but the admin offline, the mail of Erin's
  // removal waiting), count the recipients of each stored item — the rows of a mail table that
  // reference one body (a foreign key), or identical stored bodies (> 64 bytes) repeated per
  // recipient. That count must equal neither the device count D of a rotated conversation (org
  // and the five-person group, after the removal) nor D − 1 (everyone but the posting device):
  // either lets a thief read the group's size straight off the mailbox. Rotations the night
  // did not make (pair, trio) are not compared: their mail was delivered and deleted by day.
  const tables = mailTables(night)
  const fanOuts: number[] = []
  for (const { rows, fks } of tables) {
    for (const col of fks) fanOuts.push(...countBy(rows, (r) => String(r[col])))
    for (const col of Object.keys(rows[0] ?? {})) fanOuts.push(...countBy(rows.filter((r) => r[col] instanceof Uint8Array && (r[col] as Uint8Array).length > 64), (r) => hexOf(r[col] as Uint8Array)))
  }
  const revealing = nightRotations.flatMap(({ conv, devices }) => fanOuts.filter((n) => n === devices || n === devices - 1).map((n) => `an item stored for ${n} recipients = ${conv === convs.org ? 'organisation' : 'five-person group'} of ${devices} devices`))
  expect(revealing).toEqual([])
})

function countBy<T>(items: T[], key: (t: T) => string): number[] {
  const counts = new Map<string, number>()
  for (const i of items) counts.set(key(i), (counts.get(key(i)) ?? 0) + 1)
  return [...counts.values()]
}
