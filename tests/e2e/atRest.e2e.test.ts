import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join, relative } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { deriveStorageKeys, hideKeyPart, openMaster, openStored } from '../../crypto/index.js'
import {
  CHROMIUM_ARGS, WAIT, createConversation, inviteLink, joinConversation, messageTexts, onboard, openConversation, send, settledTexts,
  personIn, unexpectedErrors, useWorld, type Person,
} from './harness.js'

/**
 * [M28] Two people in real Chromium with PERSISTENT profiles on disk; the app's IndexedDB store
 * is wrapped by openAtRest under a non-extractable WebCrypto master kept in `fieldchat-keys`.
 * An attacker copies the profile folders after a conversation (marker title, marker names,
 * marker messages both ways; the browsers closed, so everything is flushed) and reads every
 * file as bytes: LevelDB logs reassembled from their 32 KiB blocks and tables' Snappy blocks
 * decompressed, each searched in UTF-8, UTF-16LE, UTF-16BE (IndexedDB keys) and base64url (as
 * in URLs). A probe the page puts in localStorage proves the scanner reads the profile.
 * 1. no marker in any file of either profile; reopened on the same folder, the history shows;
 * 2. the files alone do not open the store: the master kept in `fieldchat-keys` cannot be
 *    lifted from them (a probe key of known bytes, stored the same way, shows where Chromium
 *    would write it) and used to decrypt the conversation's record.
 */
const world = useWorld()
const dirs: string[] = []
const contexts: BrowserContext[] = []
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined)
  // ATREST_KEEP=1 keeps the profiles, to look at them after a failure.
  if (!process.env.ATREST_KEEP) for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const tag = `ATREST${randomBytes(4).toString('hex')}`
const marker = (what: string) => `${tag}-${what}`

async function persistentPerson(name: string, dir: string, url: string): Promise<Person> {
  const context = await chromium.launchPersistentContext(dir, { executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, viewport: { width: 360, height: 740 } })
  contexts.push(context)
  return personIn(context, name, url)
}

async function close(p: Person): Promise<void> {
  await p.context.close()
  contexts.splice(contexts.indexOf(p.context), 1)
}

// ---------------------------------------------------------------------------------------------
// The attacker's reader: every file, and what LevelDB keeps in its logs and (compressed) tables.
// ---------------------------------------------------------------------------------------------

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : []))

function varint(b: Buffer, at: number): [value: number, next: number] {
  let value = 0
  let shift = 0
  for (let i = at; i < b.length && shift < 35; i++, shift += 7) {
    value += (b[i]! & 0x7f) * 2 ** shift
    if (!(b[i]! & 0x80)) return [value, i + 1]
  }
  throw new Error('bad varint')
}

/** Snappy's raw format (LevelDB's table blocks). */
function unsnappy(b: Buffer): Buffer {
  const [size, start] = varint(b, 0)
  const out = Buffer.alloc(size)
  let o = 0
  for (let i = start; i < b.length; ) {
    const t = b[i++]!
    if ((t & 3) === 0) {
      let len = t >> 2
      if (len >= 60) {
        const n = len - 59
        len = b.readUIntLE(i, n)
        i += n
      }
      len += 1
      b.copy(out, o, i, i + len)
      i += len
      o += len
      continue
    }
    let len: number, off: number
    if ((t & 3) === 1) (len = ((t >> 2) & 7) + 4), (off = ((t >> 5) << 8) | b[i++]!)
    else if ((t & 3) === 2) (len = (t >> 2) + 1), (off = b.readUInt16LE(i)), (i += 2)
    else (len = (t >> 2) + 1), (off = b.readUInt32LE(i)), (i += 4)
    if (off === 0 || off > o) throw new Error('bad snappy copy')
    for (let k = 0; k < len; k++, o++) out[o] = out[o - off]!
  }
  return out
}

/** A LevelDB log's records, joined across its 32 KiB blocks (a record may be cut by a block header). */
function logRecords(b: Buffer): Buffer {
  const parts: Buffer[] = []
  for (let block = 0; block < b.length; block += 32768) {
    for (let i = block; i + 7 <= Math.min(b.length, block + 32768); ) {
      const len = b.readUInt16LE(i + 4)
      const type = b[i + 6]!
      if (type === 0 && len === 0) break
      parts.push(b.subarray(i + 7, i + 7 + len))
      i += 7 + len
    }
  }
  return Buffer.concat(parts)
}

/** A LevelDB table's data blocks, decompressed (type 1 = Snappy); throws on a compression it does not know. */
function tableBlocks(b: Buffer): Buffer {
  const footer = b.subarray(b.length - 48)
  const [, a] = varint(footer, 0)
  const [, c] = varint(footer, a)
  const [indexOffset, d] = varint(footer, c)
  const [indexSize] = varint(footer, d)
  const block = (offset: number, size: number): Buffer => {
    const type = b[offset + size]
    const raw = b.subarray(offset, offset + size)
    if (type === 0) return raw
    if (type === 1) return unsnappy(raw)
    throw new Error(`table block compression ${type}`)
  }
  const index = block(indexOffset, indexSize)
  const restarts = index.readUInt32LE(index.length - 4)
  const end = index.length - 4 - 4 * restarts
  const out: Buffer[] = []
  for (let i = 0; i < end; ) {
    const [, p] = varint(index, i)
    const [nonShared, q] = varint(index, p)
    const [valueLen, r] = varint(index, q)
    const value = index.subarray(r + nonShared, r + nonShared + valueLen)
    const [offset, s] = varint(value, 0)
    const [size] = varint(value, s)
    out.push(block(offset, size))
    i = r + nonShared + valueLen
  }
  return Buffer.concat(out)
}

interface View {
  readonly file: string
  readonly view: 'bytes' | 'log records' | 'table blocks'
  readonly bytes: Buffer
}

/** Every file under `dir` as bytes; a LevelDB's logs and tables also as the records they hold. */
function read(dir: string): { views: View[]; unreadable: string[] } {
  const views: View[] = []
  const unreadable: string[] = []
  for (const path of filesUnder(dir)) {
    const file = relative(dir, path)
    let bytes: Buffer
    try {
      bytes = readFileSync(path)
    } catch {
      continue // a socket or lock Chromium left
    }
    views.push({ file, view: 'bytes', bytes })
    if (!existsSync(join(dirname(path), 'CURRENT'))) continue
    try {
      if (/^\d+\.log$/.test(basename(path))) views.push({ file, view: 'log records', bytes: logRecords(bytes) })
      if (/^\d+\.(ldb|sst)$/.test(basename(path))) views.push({ file, view: 'table blocks', bytes: tableBlocks(bytes) })
    } catch (err) {
      unreadable.push(`${file}: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  return { views, unreadable }
}

const printable = (b: Buffer) => [...b].map((c) => (c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.')).join('')
const utf16be = (s: string) => Buffer.from(s, 'utf16le').swap16()

/** The base64url characters that encode `bytes` whatever their alignment in a longer encoded string. */
function base64urlForms(bytes: Buffer): string[] {
  return [0, 1, 2].map((pad) => {
    const enc = Buffer.concat([Buffer.alloc(pad), bytes]).toString('base64url')
    return enc.slice([0, 2, 3][pad], Math.floor(((pad + bytes.length) * 8) / 6))
  })
}

interface Needle {
  readonly label: string
  readonly bytes: Buffer
}
function needles(label: string, text: string, { base64 = false } = {}): Needle[] {
  const out = [
    { label: `${label} utf8 ${JSON.stringify(text)}`, bytes: Buffer.from(text, 'utf8') },
    { label: `${label} utf16le ${JSON.stringify(text)}`, bytes: Buffer.from(text, 'utf16le') },
    { label: `${label} utf16be ${JSON.stringify(text)}`, bytes: utf16be(text) },
  ]
  if (base64) for (const form of base64urlForms(Buffer.from(text, 'utf8'))) out.push({ label: `${label} base64url-of-utf8 ${form}`, bytes: Buffer.from(form) })
  return out
}

interface Found {
  readonly where: string
  readonly label: string
  readonly around: string
}

/** Every occurrence of every needle in every view, with the bytes around it. */
function scan(views: readonly View[], search: readonly Needle[]): Found[] {
  const found: Found[] = []
  for (const v of views) {
    for (const n of search) {
      for (let at = v.bytes.indexOf(n.bytes); at !== -1; at = v.bytes.indexOf(n.bytes, at + 1)) {
        const around = v.bytes.subarray(Math.max(0, at - 64), Math.min(v.bytes.length, at + n.bytes.length + 64))
        found.push({ where: `${v.file} (${v.view} @${at})`, label: n.label, around: `${printable(around)} | ${around.toString('hex')}` })
      }
    }
  }
  return found
}

/** Occurrences found in a file's raw bytes also turn up in its reassembled records: one line per place is enough. */
const show = (found: readonly Found[]) => [...new Set(found.map((f) => `${f.where}: ${f.label}\n    ${f.around}`))].join('\n')

// ---------------------------------------------------------------------------------------------

/** Where the opened invitation link kept the conversation's name (the known gap below). */
const linkLeaks: string[] = []
const state: { dirA?: string; conv?: string; title?: string; probeKey?: Buffer } = {}

describe('[M28] the browser profile on disk', () => {
  it('[M28] holds no title, name or message after a conversation both ways; reopened, it shows the history', async () => {
    const url = `${world.server.url}/`
    const title = marker('title')
    const names = { admin: marker('name-admin'), bob: marker('name-bob') }
    const texts = [marker('text-admin-1'), marker('text-bob-1'), marker('text-admin-ünïcødé-2')]
    const [dirA, dirB] = [mkdtempSync(join(tmpdir(), 'fieldchat-profile-admin-')), mkdtempSync(join(tmpdir(), 'fieldchat-profile-bob-'))]
    dirs.push(dirA, dirB)

    const admin = await persistentPerson(names.admin, dirA, url)
    await onboard(admin.page, names.admin)
    await createConversation(admin.page, title)
    const conv = (await admin.page.evaluate(() => location.hash)).replace(/^#c=/, '')
    expect(conv).toMatch(/^[A-Za-z0-9_-]{16,}$/)
    await send(admin.page, texts[0]!)
    const link = await inviteLink(admin.page)
    const linkSecret = link.slice(link.indexOf('#org=') + '#org='.length)

    const bob = await persistentPerson(names.bob, dirB, url)
    await joinConversation(bob, link, title)
    await send(bob.page, texts[1]!)
    await send(admin.page, texts[2]!)
    for (const p of [admin, bob]) await expect.poll(() => settledTexts(p), WAIT).toEqual(texts)

    const devices: Record<string, string> = {}
    for (const [who, p] of [['admin', admin], ['bob', bob]] as const) {
      devices[who] = (await p.page.evaluate(() => localStorage.getItem('fieldchat.device'))) ?? ''
      // The control: a value the page stores in clear, which the scan must find.
      await p.page.evaluate((probe) => localStorage.setItem('probe', probe), marker(`PROBE-${who}`))
    }
    // For the later tests: a non-extractable AES-GCM key of known bytes, kept like the app keeps its device key.
    const probeKey = randomBytes(32)
    await admin.page.evaluate(async (hex) => {
      const bytes = new Uint8Array(hex.match(/../g)!.map((h) => parseInt(h, 16)))
      const key = await crypto.subtle.importKey('raw', bytes, 'AES-GCM', false, ['encrypt', 'decrypt'])
      await new Promise<void>((ok, fail) => {
        const open = indexedDB.open('atrest-probe', 1)
        open.onupgradeneeded = () => open.result.createObjectStore('keys')
        open.onerror = () => fail(open.error)
        open.onsuccess = () => {
          const tx = open.result.transaction('keys', 'readwrite')
          tx.objectStore('keys').put(key, 'probe-master')
          tx.oncomplete = () => (open.result.close(), ok())
          tx.onerror = () => fail(tx.error)
        }
      })
    }, probeKey.toString('hex'))
    Object.assign(state, { dirA, conv, title, probeKey })

    const errors = [...unexpectedErrors(admin), ...unexpectedErrors(bob)]
    // Closing the persistent contexts shuts Chromium down: IndexedDB and localStorage are flushed.
    await close(admin)
    await close(bob)

    const content: Needle[] = [
      ...needles('title', title, { base64: true }),
      ...Object.entries(names).flatMap(([who, n]) => needles(`name of ${who}`, n, { base64: true })),
      ...texts.flatMap((t, i) => needles(`message ${i}`, t, { base64: true })),
    ]
    const ids: Needle[] = [
      ...needles('conversation id', conv),
      ...needles('invitation link secret', linkSecret),
      ...Object.entries(devices).flatMap(([who, d]) => needles(`device id of ${who}`, d)),
    ]
    const leaks: string[] = []
    for (const [who, dir] of [['admin', dirA], ['bob', dirB]] as const) {
      const { views, unreadable } = read(dir)
      expect(unreadable, `${who}: LevelDB files the scanner could not read`).toEqual([])
      expect(views.some((v) => v.file.includes('IndexedDB') && v.view === 'log records'), `${who}: no IndexedDB LevelDB in ${dir}`).toBe(true)
      // The scanner reads the profile: it finds the probe (in localStorage's LevelDB).
      expect(scan(views, needles('probe', marker(`PROBE-${who}`))).length, `${who}: the probe written to localStorage was not found`).toBeGreaterThan(0)
      // Identifiers: none in the app's own store (IndexedDB); elsewhere in the profile they are reported.
      const idFindings = scan(views, ids)
      expect(show(idFindings.filter((f) => f.where.includes('IndexedDB')))).toBe('')
      if (idFindings.length) console.warn(`[M28] ${who}'s profile: identifiers in clear outside the app's store:\n${show(idFindings)}`)
      // The invitation link Bob opened (with the conversation's name in it) is kept by the browser
      // as a visited URL: a known gap, asserted in its own expected failure below.
      const found = scan(views, content)
      const inLink = (f: Found) => /org=/.test(f.around)
      linkLeaks.push(...found.filter(inLink).map((f) => `${who}: ${f.where} ${f.label}`))
      if (found.some((f) => !inLink(f))) leaks.push(`${who}'s profile (${dir}):\n${show(found.filter((f) => !inLink(f)))}`)
    }

    // Reopened on the same folder: the key kept in `fieldchat-keys` opens the store; the history is there.
    const again = await persistentPerson(names.admin, dirA, url)
    await openConversation(again.page, title)
    await expect.poll(() => messageTexts(again.page), WAIT).toEqual(texts)
    expect(await again.page.evaluate(() => localStorage.getItem('probe'))).toBe(marker('PROBE-admin'))
    expect([...errors, ...unexpectedErrors(again)]).toEqual([])
    await close(again)

    expect(leaks.join('\n'), 'markers in clear in the profiles').toBe('')
  }, 240_000)

  // KNOWN GAP (issue 8): an invitation link carries its conversation's name, and the browser
  // keeps every opened URL (History, Favicons, Sessions). Until links stop carrying the name,
  // this expectation fails; `it.fails` keeps it running.
  it.fails('[M28] known gap: the invitation link the invitee opened does not leave the conversation\'s name in the browser\'s history', () => {
    expect(linkLeaks).toEqual([])
  })

  // KNOWN GAP without an app lock: Chromium writes a non-extractable key's bytes into IndexedDB's
  // files, so the device key kept there opens the store's master, and the master the store, from a
  // copy of the profile. A secret that is not on disk (a passkey or passphrase, [M29]) closes it:
  // the next test.
  it.fails('[M28] known gap without an app lock: the profile\'s files alone do not open the store: the device key cannot be lifted from them', async () => {
    const { dirA, conv, title, probeKey } = state
    if (!dirA || !conv || !title || !probeKey) throw new Error('needs the first test\'s profile')
    expect(await thief(dirA, conv, title, probeKey)).toBe('')
  }, 60_000)

  // KNOWN GAP (issue 8): locking rekeys every record and deletes the device key, but Chromium's
  // LevelDB keeps the overwritten and deleted values (the device key, the old key record, the
  // records sealed under the old master) in its files until it compacts them, which the page cannot
  // ask for. So a copy of the profile taken soon after a lock is set still opens what the store held
  // before the lock (never what is written after: the new master is sealed by the passphrase only).
  // An organisation that requires a lock gets it before any conversation is on the device.
  it.fails('[M29] known gap: right after an app lock is set, the profile\'s files alone open nothing (stale pre-lock copies stay until LevelDB compacts)', async () => {
    const { dirA, conv, title, probeKey } = state
    if (!dirA || !conv || !title || !probeKey) throw new Error('needs the first test\'s profile')
    const again = await persistentPerson('admin', dirA, `${world.server.url}/`)
    await openConversation(again.page, title)
    const details = again.page.locator('details.app-lock')
    await details.locator('summary').click()
    await again.page.getByLabel('Passphrase', { exact: true }).fill('correct horse battery staple')
    await again.page.getByLabel('Repeat it').fill('correct horse battery staple')
    await again.page.getByRole('button', { name: 'Set passphrase' }).click()
    await expect.poll(() => details.locator('summary').textContent(), WAIT).toContain('App lock: on (passphrase)')
    expect(unexpectedErrors(again)).toEqual([])
    await close(again)
    expect(await thief(dirA, conv, title, probeKey)).toBe('')
  }, 90_000)
})

/**
 * What a thief with a copy of the profile does: lift every 32 bytes that Chromium stored the way
 * it stores a non-extractable AES-GCM key (the probe of known bytes shows the header before them),
 * try each as the device key on every sealed master (crypto [R6]: a CBOR byte string of 61 bytes,
 * version 1) in IndexedDB, and each master so opened on the conversation's record. Returns what
 * opened ('' when nothing did).
 */
async function thief(dir: string, conv: string, title: string, probeKey: Buffer): Promise<string> {
  const idb = read(dir).views.filter((v) => v.file.includes('IndexedDB') && v.view !== 'bytes')
  const probeAt = idb.flatMap((v) => (v.bytes.indexOf(probeKey) > 0 ? [{ v, at: v.bytes.indexOf(probeKey) }] : []))
  if (probeAt.length === 0) return '' // not written in clear: nothing to lift this way
  const header = probeAt[0]!.v.bytes.subarray(probeAt[0]!.at - 6, probeAt[0]!.at)
  const sealedMasters: Buffer[] = []
  for (const v of idb) for (let at = v.bytes.indexOf(SEALED_MASTER); at !== -1; at = v.bytes.indexOf(SEALED_MASTER, at + 1)) sealedMasters.push(v.bytes.subarray(at + 2, at + 2 + 61))
  const opened: string[] = []
  for (const v of idb) {
    for (let at = v.bytes.indexOf(header); at !== -1; at = v.bytes.indexOf(header, at + 1)) {
      const candidate = v.bytes.subarray(at + header.length, at + header.length + 32)
      if (candidate.length !== 32 || candidate.equals(probeKey)) continue
      const kek = await crypto.subtle.importKey('raw', new Uint8Array(candidate), 'AES-GCM', false, ['decrypt'])
      for (const sealed of sealedMasters) {
        const master = await openMaster(kek, 'key', new Uint8Array(sealed))
        if (!master.ok) continue
        const keys = await deriveStorageKeys(master.value)
        const slot = `conv\u0000${await hideKeyPart(keys, conv)}`
        // Sealed records are V8 ArrayBuffers in the values: 'B', varint length, then version byte 1.
        for (const w of idb) {
          for (let b = w.bytes.indexOf(0x42); b !== -1; b = w.bytes.indexOf(0x42, b + 1)) {
            let len: number, start: number
            try {
              ;[len, start] = varint(w.bytes, b + 1)
            } catch {
              continue
            }
            if (len < 29 || len > 1 << 20 || w.bytes[start] !== 1 || start + len > w.bytes.length) continue
            const plain = await openStored(keys, slot, new Uint8Array(w.bytes.subarray(start, start + len)))
            if (!plain.ok) continue
            const text = Buffer.from(plain.value)
            opened.push(`device key ${candidate.toString('hex')} from ${v.file} (${v.view} @${at + header.length}) opens a sealed master, which opens conv/${conv} in ${w.file} (${w.view} @${start}); it holds the title: ${text.includes(Buffer.from(title))}`)
            break
          }
          if (opened.length) return opened.join('\n')
        }
      }
    }
  }
  return opened.join('\n')
}

/** A CBOR byte string of 61 bytes (0x58 0x3d) whose first byte is the sealed master's version. */
const SEALED_MASTER = Buffer.from([0x58, 0x3d, 0x01])
