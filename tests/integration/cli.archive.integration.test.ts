import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { cliHome, runCli, type CliHome, type CliRun } from './helpers/cli.js'
import { useServer } from './helpers/lifecycle.js'

/**
 * [M31] Export archives from the CLI, each command its own process against the real server.
 * Ana (an admin) and Ben share the conversation "Dock 4"; Ana also founds Acme, whose policy she
 * then sets to forbid export ([T21]). Ana exports for the compliance archive; the file is read
 * back in an empty home with the passphrase, and refused with a wrong one.
 */
for (const v of ['FIELDCHAT_PASSPHRASE', 'FIELDCHAT_KEY_FILE', 'FIELDCHAT_HOME', 'FIELDCHAT_EXPORT_PASSPHRASE']) delete process.env[v]

const env = useServer()
const home = (name: string) => cliHome(name, () => env.server().url)
const scratch = mkdtempSync(join(tmpdir(), 'fieldchat-archive-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const PASS = 'harbour crane 4 manifest'
const tag = `ARCHIVE${randomBytes(4).toString('hex')}`
const marker = (what: string) => `${tag}-${what}`

/** A run of the CLI in `h` with the export passphrase (or another environment) set. */
const withPass = (h: CliHome, pass: string | undefined, ...args: string[]) =>
  runCli(['--home', h.dir, '--server', env.server().url, ...args], 90_000, pass === undefined ? {} : { FIELDCHAT_EXPORT_PASSPHRASE: pass })

const ok = (r: CliRun): CliRun => {
  if (r.code !== 0) throw new Error(`\`${r.args.slice(4).join(' ')}\` exited ${r.code}:\n${r.stdout}${r.stderr}`)
  return r
}
const errorOf = (r: CliRun) => ({ exit: r.code, code: r.json<{ error: { code: string } }>().error.code })

interface Opened {
  exportedAt: number
  by: { device: string; name: string }
  conversations: { id: string; title: string; kind: string; messages: { text: string; authorName: string; author: string; ts: number }[] }[]
}

interface World { ana: CliHome; ben: CliHome; conv: string; org: string; group: string; devices: Record<string, string> }
let world: Promise<World> | undefined
const provisioned = () => (world ??= provision())

async function provision(): Promise<World> {
  const [ana, ben] = [home('ana'), home('ben')]
  await Promise.all([ana.run('init', '--name', 'Ana'), ben.run('init', '--name', 'Ben')].map(async (r) => ok(await r)))
  const { conv, link } = ok(await ana.run('--json', 'create', '--title', 'Dock 4')).json<{ conv: string; link: string }>()
  ok(await ben.run('--json', '--timeout', '3', 'join', link))
  ok(await ana.run('--json', 'sync'))
  ok(await ben.run('--json', 'join', link))
  ok(await ben.run('--json', 'send', conv, marker('ben-crane')))
  ok(await ana.run('--json', 'send', conv, marker('ana-manifest'), '--count', '3'))
  ok(await ana.run('--json', 'sync'))
  const { org } = ok(await ana.run('--json', 'org', 'create', 'Acme')).json<{ org: string }>()
  const { group } = ok(await ana.run('--json', 'group', 'create', 'Acme', 'Night')).json<{ group: string }>()
  ok(await ana.run('--json', 'send', org, marker('acme-secret')))
  const members = ok(await ana.run('--json', 'members', conv)).json<{ members: { device: string; name: string }[] }>().members
  return { ana, ben, conv, org, group, devices: Object.fromEntries(members.map((m) => [m.name, m.device])) }
}

test('[M31] export → the file holds no marker, title or name in clear → open-archive --json in an empty home shows every message', async () => {
  const { ana, conv, devices } = await provisioned()
  const file = join(scratch, 'dock4.fcarchive')
  const exported = ok(await withPass(ana, PASS, '--json', 'export', conv, '--out', file)).json<{ file: string; bytes: number; conversations: unknown[] }>()
  expect(exported).toEqual({ file, bytes: readFileSync(file).length, conversations: [{ conv, title: 'Dock 4', messages: 4 }] })

  const bytes = readFileSync(file)
  expect(bytes.subarray(0, 8).toString()).toBe('FCARCHIV')
  for (const needle of [tag, 'Dock 4', 'Ana', 'Ben', conv, devices.Ana!]) {
    expect(bytes.includes(Buffer.from(needle)), needle).toBe(false)
    expect(bytes.includes(Buffer.from(needle, 'utf16le')), needle).toBe(false)
  }

  // A reader's own home: no identity, no store — open-archive never creates one.
  const reader = home('auditor')
  const opened = ok(await withPass(reader, PASS, '--json', 'open-archive', file)).json<Opened>()
  expect(readdirSync(reader.dir)).toEqual([])
  expect(opened.by).toEqual({ device: devices.Ana, name: 'Ana' })
  expect(opened.conversations.map((c) => [c.id, c.title, c.kind])).toEqual([[conv, 'Dock 4', 'conversation']])
  const messages = opened.conversations[0]!.messages
  expect(messages.map((m) => [m.authorName, m.author, m.text]).sort()).toEqual(
    [
      ['Ana', devices.Ana, marker('ana-manifest 1')],
      ['Ana', devices.Ana, marker('ana-manifest 2')],
      ['Ana', devices.Ana, marker('ana-manifest 3')],
      ['Ben', devices.Ben, marker('ben-crane')],
    ].sort(),
  )
  // The device's own view, with every segment, is what the archive holds.
  const live = ok(await ana.run('--json', 'messages', conv, '--all')).json<{ messages: { text: string; ts: number }[] }>().messages
  expect(messages.map((m) => [m.ts, m.text])).toEqual(live.map((m) => [m.ts, m.text]))

  const human = ok(await withPass(reader, PASS, 'open-archive', file)).stdout
  expect(human).toContain(`== Dock 4 (conversation, ${conv}) ==`)
  expect(human).toMatch(new RegExp(`Ben: ${marker('ben-crane')}`))
}, 180_000)

test('[M31] a wrong passphrase is M520 (exit 1); a damaged file M521; usage mistakes exit 2', async () => {
  const { ana, conv } = await provisioned()
  const file = join(scratch, 'wrong.fcarchive')
  ok(await withPass(ana, PASS, 'export', conv, '--out', file))
  const reader = home('auditor2')
  expect(errorOf(await withPass(reader, 'harbour crane 4 manifesT', '--json', 'open-archive', file))).toEqual({ exit: 1, code: 'M520_ARCHIVE_PASSPHRASE' })
  const wrong = await withPass(reader, 'not the passphrase', 'open-archive', file)
  expect([wrong.code, wrong.stdout]).toEqual([1, ''])
  expect(wrong.stderr).toMatch(/^error: M520_ARCHIVE_PASSPHRASE: /)
  expect(errorOf(await withPass(reader, PASS, '--json', 'open-archive', join(import.meta.dirname, 'cli.archive.integration.test.ts')))).toEqual({ exit: 1, code: 'M521_ARCHIVE_DAMAGED' })

  expect(errorOf(await withPass(reader, undefined, '--json', 'open-archive', file))).toEqual({ exit: 2, code: 'C100_USAGE' })
  expect(errorOf(await withPass(ana, undefined, '--json', 'export', conv, '--out', file))).toEqual({ exit: 2, code: 'C100_USAGE' })
  expect(errorOf(await withPass(ana, 'short', '--json', 'export', conv, '--out', file))).toEqual({ exit: 2, code: 'C100_USAGE' })
  expect(errorOf(await withPass(ana, PASS, '--json', 'export', conv))).toEqual({ exit: 2, code: 'C100_USAGE' })
  expect(errorOf(await withPass(ana, PASS, '--json', 'export', 'not-an-id', '--out', file))).toEqual({ exit: 2, code: 'C100_USAGE' })
}, 180_000)

test('[M31][T21] `org policy ORG export=forbid`: exporting the organisation, its group, or everything is refused with M510 and writes no file', async () => {
  const { ana, conv, org, group } = await provisioned()
  ok(await ana.run('--json', 'org', 'policy', 'Acme', 'export=forbid'))
  for (const convs of [[org], [group], []]) {
    const file = join(scratch, `forbidden-${convs.length}-${convs[0] ?? 'all'}.fcarchive`)
    expect(errorOf(await withPass(ana, PASS, '--json', 'export', ...convs, '--out', file)), convs.join(' ') || 'all').toEqual({ exit: 1, code: 'M510_EXPORT_FORBIDDEN' })
    expect(existsSync(file)).toBe(false)
  }
  // A conversation outside the organisation is still the person's to export.
  const file = join(scratch, 'allowed.fcarchive')
  ok(await withPass(ana, PASS, 'export', conv, '--out', file))
  ok(await ana.run('--json', 'org', 'policy', 'Acme', 'export=allow'))
  const all = join(scratch, 'all.fcarchive')
  ok(await withPass(ana, PASS, 'export', '--out', all))
  const opened = ok(await withPass(ana, PASS, '--json', 'open-archive', all)).json<Opened>()
  expect(opened.conversations.map((c) => c.kind).sort()).toEqual(['conversation', 'group', 'org'])
  expect(opened.conversations.find((c) => c.kind === 'org')!.messages.map((m) => m.text)).toEqual([marker('acme-secret')])
}, 180_000)
