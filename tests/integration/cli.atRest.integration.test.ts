import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync as mkdtemp, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { cliHome, runCli, type CliHome, type CliRun } from './helpers/cli.js'
import { useServer } from './helpers/lifecycle.js'
import { Messenger } from '../../client/core/messenger.js'
import { openSqliteLocalStore } from '../../client/node/sqliteStore.js'
import { nodeSocket } from '../../client/node/socket.js'

/**
 * [M28] An attacker who copies a CLI home folder (device.sqlite with its -wal and -shm, and even
 * device.key) after a real conversation — created, joined by a second home, messages both ways —
 * finds in no file the conversation's title, the people's names, the messages, the invitation
 * link's secret, nor the conversation's or the devices' ids (as printed, or as raw bytes), in
 * UTF-8, UTF-16 or base64url. A home whose key file was swapped for another valid key does not open
 * (M203_STORE_LOCKED) and its files are left byte for byte as they were; a home keyed by
 * FIELDCHAT_PASSPHRASE opens with that passphrase only.
 */
// The homes of the main flow are keyed by their own device.key: no secret from the runner's environment.
for (const v of ['FIELDCHAT_PASSPHRASE', 'FIELDCHAT_KEY_FILE', 'FIELDCHAT_HOME']) delete process.env[v]

const env = useServer()
/** The folders this file makes itself (the homes of cliHome are left like the other CLI tests leave them). */
const made: string[] = []
const mkdtempSync = (prefix: string) => (made.push(mkdtemp(prefix)), made.at(-1)!)
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })))
const home = (name: string) => cliHome(name, () => env.server().url)

const ok = (r: CliRun): CliRun => {
  if (r.code !== 0) throw new Error(`\`${r.args.slice(4).join(' ')}\` exited ${r.code}:\n${r.stdout}${r.stderr}`)
  return r
}

const tag = `ATREST${randomBytes(4).toString('hex')}`
const marker = (what: string) => `${tag}-${what}`

const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)]))

/** Every file of a home, as bytes, by its path in the home. */
const snapshot = (dir: string): Record<string, string> =>
  Object.fromEntries(filesUnder(dir).map((f) => [relative(dir, f), readFileSync(f).toString('base64')]))

const printable = (b: Buffer) => [...b].map((c) => (c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.')).join('')

interface Needle {
  readonly label: string
  readonly bytes: Buffer
}

/** The base64url characters that encode `bytes` whatever their alignment in a longer encoded string. */
function base64urlForms(bytes: Buffer): string[] {
  return [0, 1, 2].map((pad) => {
    const enc = Buffer.concat([Buffer.alloc(pad), bytes]).toString('base64url')
    return enc.slice([0, 2, 3][pad], Math.floor(((pad + bytes.length) * 8) / 6))
  })
}

/** A secret as an attacker would look for it: UTF-8, UTF-16LE/BE, base64url (as in a stored link), and for ids their raw bytes. */
function needles(label: string, text: string, raw?: Buffer): Needle[] {
  const out: Needle[] = [
    { label: `${label} utf8 ${JSON.stringify(text)}`, bytes: Buffer.from(text, 'utf8') },
    { label: `${label} utf16le ${JSON.stringify(text)}`, bytes: Buffer.from(text, 'utf16le') },
    { label: `${label} utf16be ${JSON.stringify(text)}`, bytes: Buffer.from(text, 'utf16le').swap16() },
  ]
  if (raw) out.push({ label: `${label} raw ${raw.toString('hex')}`, bytes: raw })
  else for (const form of base64urlForms(Buffer.from(text, 'utf8'))) out.push({ label: `${label} base64url-of-utf8 ${form}`, bytes: Buffer.from(form) })
  return out
}

/** Every occurrence of every needle in every file under `dir`, with the bytes around it. */
function scan(dir: string, search: readonly Needle[]): string[] {
  const found: string[] = []
  for (const file of filesUnder(dir)) {
    const bytes = readFileSync(file)
    for (const n of search) {
      for (let at = bytes.indexOf(n.bytes); at !== -1; at = bytes.indexOf(n.bytes, at + 1)) {
        const around = bytes.subarray(Math.max(0, at - 48), Math.min(bytes.length, at + n.bytes.length + 48))
        found.push(`${relative(dir, file)} @${at}: ${n.label}\n  ${printable(around)}\n  ${around.toString('hex')}`)
      }
    }
  }
  return found
}

// A home run with extra environment (FIELDCHAT_PASSPHRASE).
function runWithEnv(dir: string, extra: Record<string, string>, args: readonly string[]): Promise<CliRun> {
  return runCli(['--home', dir, '--server', env.server().url, ...args], 90_000, extra)
}

const errorCode = (r: CliRun) => r.json<{ error?: { code?: string } }>().error?.code

const b64url = (s: string) => Buffer.from(s, 'base64url')

let ana: CliHome, ben: CliHome, conv: string

test('[M28] after a conversation both ways, no file of either home holds a name, title, message, link secret or id', async () => {
  const names = { ana: marker('name-ana'), ben: marker('name-ben') }
  const title = marker('title')
  const texts = [marker('text-from-ben'), marker('text-from-ana'), marker('text-ünïcødé-ß')]
  ;[ana, ben] = [home('ana'), home('ben')]
  await Promise.all([ana.run('init', '--name', names.ana), ben.run('init', '--name', names.ben)].map(async (r) => ok(await r)))
  const created = ok(await ana.run('--json', 'create', '--title', title)).json<{ conv: string; link: string }>()
  conv = created.conv
  const linkSecret = created.link.slice(created.link.indexOf('#org=') + '#org='.length)

  expect(ok(await ben.run('--json', '--timeout', '3', 'join', created.link)).json()).toMatchObject({ status: 'pending', conv })
  ok(await ana.run('--json', 'sync'))
  expect(ok(await ben.run('--json', 'join', created.link)).json()).toMatchObject({ status: 'admitted', conv, name: title })

  ok(await ben.run('--json', 'send', conv, texts[0]!))
  ok(await ana.run('--json', 'sync'))
  ok(await ana.run('--json', 'send', conv, texts[1]!))
  ok(await ana.run('--json', 'send', conv, texts[2]!))
  ok(await ben.run('--json', 'sync'))
  for (const h of [ana, ben]) {
    const seen = ok(await h.run('--json', 'messages', conv)).json<{ messages: { text: string; authorName: string }[] }>().messages
    expect(seen.map((m) => [m.authorName, m.text])).toEqual([[names.ben, texts[0]], [names.ana, texts[1]], [names.ana, texts[2]]])
  }
  const members = ok(await ana.run('--json', 'members', conv)).json<{ members: { device: string; name: string }[] }>().members
  expect(members.map((m) => m.name).sort()).toEqual([names.ana, names.ben].sort())

  const search: Needle[] = [
    ...needles('tag', tag),
    ...needles('title', title),
    ...Object.entries(names).flatMap(([who, n]) => needles(`name of ${who}`, n)),
    ...texts.flatMap((t, i) => needles(`message ${i}`, t)),
    ...needles('conversation id', conv, b64url(conv)),
    ...needles('invitation link secret', linkSecret),
    ...members.flatMap((m) => needles(`device id of ${m.name}`, m.device, b64url(m.device))),
  ]
  for (const h of [ana, ben]) {
    const files = filesUnder(h.dir).map((f) => relative(h.dir, f))
    // The store and its own key (no passphrase in this environment); -wal and -shm when SQLite left them.
    expect(files).toContain('device.sqlite')
    expect(files).toContain('device.key')
    expect(files.every((f) => /^device\.(sqlite(-wal|-shm)?|key)$/.test(f)), files.join(', ')).toBe(true)
    expect(scan(h.dir, search), `${h.name}'s home (${files.join(', ')})`).toEqual([])
  }
  // The scanner finds what is there: a file holding three of the secrets, one per encoding.
  const probe = join(mkdtempSync(join(tmpdir(), 'fieldchat-atrest-probe-')), 'probe.bin')
  writeFileSync(probe, Buffer.concat([Buffer.from(`x${title}x`, 'utf16le'), b64url(conv), Buffer.from(texts[2]!, 'utf8')]))
  const probed = scan(join(probe, '..'), search).map((f) => f.split('\n')[0]!)
  for (const label of [/: title utf16le/, /: conversation id raw/, /: message 2 utf8/]) expect(probed.some((f) => label.test(f)), `${label}`).toBe(true)
}, 180_000)

test('[M28] a home whose device.key is replaced by another valid key: M203_STORE_LOCKED, exit non-zero, every file unchanged', async () => {
  const before = snapshot(ana.dir)
  const own = readFileSync(join(ana.dir, 'device.key'), 'utf8')
  expect(own.trim()).toMatch(/^[0-9a-f]{64}$/)
  writeFileSync(join(ana.dir, 'device.key'), `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 })
  const swapped = snapshot(ana.dir)

  for (const args of [['list'], ['messages', conv], ['send', conv, marker('never-sent')], ['sync']]) {
    const r = await ana.run('--json', ...args)
    expect(r.code, `${args.join(' ')}: ${r.stdout}${r.stderr}`).not.toBe(0)
    expect(errorCode(r), args.join(' ')).toBe('M203_STORE_LOCKED')
    expect(snapshot(ana.dir), `${args.join(' ')} changed the home's files`).toEqual(swapped)
  }
  // The same with --key-file naming another valid key (the home's own file untouched).
  const other = join(mkdtempSync(join(tmpdir(), 'fieldchat-atrest-key-')), 'other.key')
  writeFileSync(other, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 })
  const viaFlag = await ana.run('--json', '--key-file', other, 'list')
  expect(viaFlag.code).not.toBe(0)
  expect(errorCode(viaFlag)).toBe('M203_STORE_LOCKED')
  expect(snapshot(ana.dir)).toEqual(swapped)

  // The right key back: the home opens and its history is there.
  writeFileSync(join(ana.dir, 'device.key'), own, { mode: 0o600 })
  expect(snapshot(ana.dir)).toEqual(before)
  const seen = ok(await ana.run('--json', 'messages', conv)).json<{ messages: { text: string }[] }>().messages
  expect(seen).toHaveLength(3)
  // And the right key given elsewhere (--key-file) opens it too.
  const elsewhere = join(mkdtempSync(join(tmpdir(), 'fieldchat-atrest-key-')), 'ana.key')
  writeFileSync(elsewhere, own, { mode: 0o600 })
  expect(ok(await ana.run('--json', '--key-file', elsewhere, 'messages', conv)).json<{ messages: unknown[] }>().messages).toHaveLength(3)
}, 120_000)

test('[M28] a home keyed by FIELDCHAT_PASSPHRASE: no key file, M203 without it or with another, opens with it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fieldchat-cli-pass-'))
  const passphrase = `correct horse ${tag}`
  const name = marker('name-pass')
  const title = marker('title-pass')
  const text = marker('text-pass')
  ok(await runWithEnv(dir, { FIELDCHAT_PASSPHRASE: passphrase }, ['init', '--name', name]))
  const created = ok(await runWithEnv(dir, { FIELDCHAT_PASSPHRASE: passphrase }, ['--json', 'create', '--title', title])).json<{ conv: string }>()
  ok(await runWithEnv(dir, { FIELDCHAT_PASSPHRASE: passphrase }, ['--json', 'send', created.conv, text]))
  expect(existsSync(join(dir, 'device.key'))).toBe(false)
  expect(existsSync(join(dir, 'device.sqlite'))).toBe(true)
  const search = [...needles('title', title), ...needles('name', name), ...needles('message', text), ...needles('passphrase', passphrase), ...needles('conversation id', created.conv, b64url(created.conv))]
  expect(scan(dir, search)).toEqual([])
  const before = snapshot(dir)

  // Without the passphrase (the CLI then falls back to a key file) and with a wrong one: locked, store unchanged.
  const without = await runWithEnv(dir, {}, ['--json', 'list'])
  expect(without.code, without.stdout + without.stderr).not.toBe(0)
  expect(errorCode(without)).toBe('M203_STORE_LOCKED')
  const wrong = await runWithEnv(dir, { FIELDCHAT_PASSPHRASE: `${passphrase}!` }, ['--json', 'list'])
  expect(wrong.code).not.toBe(0)
  expect(errorCode(wrong)).toBe('M203_STORE_LOCKED')
  const after = snapshot(dir)
  for (const f of Object.keys(before)) expect(after[f], f).toBe(before[f])
  // A failed run without the passphrase leaves nothing new behind (no key file made for a store
  // that exists).
  expect(Object.keys(after).filter((f) => !(f in before))).toEqual([])

  // With the passphrase: it opens, history intact.
  const listed = ok(await runWithEnv(dir, { FIELDCHAT_PASSPHRASE: passphrase }, ['--json', 'list'])).json<{ conversations: { conv: string }[] }>()
  expect(listed.conversations).toEqual([expect.objectContaining({ conv: created.conv })])
  const seen = ok(await runWithEnv(dir, { FIELDCHAT_PASSPHRASE: passphrase }, ['--json', 'messages', created.conv])).json<{ messages: { text: string; authorName: string }[] }>()
  expect(seen.messages.map((m) => [m.authorName, m.text])).toEqual([[name, text]])
}, 120_000)

test('[M28] a home written in clear before encryption at rest is migrated under a key file that is kept: the second run still opens it', async () => {
  const dir = mkdtemp(join(tmpdir(), 'fieldchat-cli-clear-'))
  // A home as the CLI wrote it before encryption at rest: the store in clear, no key file.
  const clear = openSqliteLocalStore(join(dir, 'device.sqlite'))
  const m = await Messenger.open({ store: clear, url: env.server().url, socket: nodeSocket })
  await m.createIdentity('Old Timer')
  const conv = await m.createConversation('Before encryption')
  await m.openConversation(conv)
  await m.send(conv, 'written in clear')
  await m.stop()
  await clear.close()
  expect(existsSync(join(dir, 'device.key'))).toBe(false)
  for (let run = 0; run < 2; run++) {
    const messages = await runWithEnv(dir, {}, ['--json', 'messages', conv])
    expect(messages.code, messages.stderr).toBe(0)
    expect(messages.json<{ messages: { text: string }[] }>().messages.map((x) => x.text)).toEqual(['written in clear'])
  }
  expect(existsSync(join(dir, 'device.key'))).toBe(true)
  rmSync(dir, { recursive: true, force: true })
})

test('[M29][T21] lock: the home then opens only with its passphrase (the old key file, even a copy, opens nothing); unlock is refused while the organisation requires a lock, then gives a key file back', async () => {
  const passphrase = `lock horse ${tag}`
  const oldKey = join(mkdtempSync(join(tmpdir(), 'fieldchat-atrest-oldkey-')), 'device.key')
  writeFileSync(oldKey, readFileSync(join(ana.dir, 'device.key')), { mode: 0o600 })
  const short = await runWithEnv(ana.dir, { FIELDCHAT_NEW_PASSPHRASE: 'short' }, ['--json', 'lock'])
  expect(short.code).toBe(2)
  const locked = ok(await runWithEnv(ana.dir, { FIELDCHAT_NEW_PASSPHRASE: passphrase }, ['--json', 'lock'])).json<{ locked: boolean; changed: boolean }>()
  expect(locked).toEqual({ locked: true, changed: false })
  expect(existsSync(join(ana.dir, 'device.key'))).toBe(false)
  for (const attempt of [await runWithEnv(ana.dir, {}, ['--json', 'messages', conv]), await ana.run('--json', '--key-file', oldKey, 'messages', conv)]) {
    expect(attempt.code).not.toBe(0)
    expect(errorCode(attempt)).toBe('M203_STORE_LOCKED')
  }
  const withPass = { FIELDCHAT_PASSPHRASE: passphrase }
  expect(ok(await runWithEnv(ana.dir, withPass, ['--json', 'messages', conv])).json<{ messages: unknown[] }>().messages).toHaveLength(3)
  // The home's files and the old key file side by side, as a thief with a backup would have them.
  const search = [...needles('tag', tag), ...needles('conversation id', conv, b64url(conv))]
  expect(scan(ana.dir, search)).toEqual([])

  // The conversation's admin requires a lock: unlock is refused (M511), the store stays locked.
  expect(ok(await runWithEnv(ana.dir, withPass, ['--json', 'org', 'policy', conv, 'require-lock=on'])).json<{ policy: { requireLock: boolean } }>().policy.requireLock).toBe(true)
  const refused = await runWithEnv(ana.dir, withPass, ['--json', 'unlock'])
  expect(errorCode(refused)).toBe('M511_LOCK_REQUIRED')
  expect(existsSync(join(ana.dir, 'device.key'))).toBe(false)
  ok(await runWithEnv(ana.dir, withPass, ['--json', 'org', 'policy', conv, 'require-lock=off']))
  expect(ok(await runWithEnv(ana.dir, withPass, ['--json', 'unlock'])).json<{ locked: boolean }>().locked).toBe(false)
  expect(readFileSync(join(ana.dir, 'device.key'), 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/)
  expect(ok(await ana.run('--json', 'messages', conv)).json<{ messages: unknown[] }>().messages).toHaveLength(3)

  // Required while the home is not locked: every command but `lock` and `org policy` is M511.
  ok(await ana.run('--json', 'org', 'policy', conv, 'require-lock=on'))
  for (const args of [['messages', conv], ['send', conv, marker('refused')], ['sync']]) expect(errorCode(await ana.run('--json', ...args)), args.join(' ')).toBe('M511_LOCK_REQUIRED')
  ok(await runWithEnv(ana.dir, { FIELDCHAT_NEW_PASSPHRASE: passphrase }, ['--json', 'lock']))
  expect(ok(await runWithEnv(ana.dir, withPass, ['--json', 'messages', conv])).json<{ messages: unknown[] }>().messages).toHaveLength(3)
}, 180_000)
