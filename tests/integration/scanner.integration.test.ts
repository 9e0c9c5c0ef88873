import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { toBase64Url } from '../../crypto/index.js'
import type { ConvId } from '../../protocol/index.js'
import { bytesSource } from '../../client/core/files/source.js'
import type { FileRef } from '../../client/core/files/ref.js'
import { cliHome, type CliRun } from './helpers/cli.js'
import { until, type Persona } from './helpers/clients.js'
import { useServer } from './helpers/lifecycle.js'
import { enrol, groupWith, userOf } from './helpers/team.js'
import { describeClamd, hashSignature, startClamd, type Clamd } from '../client/files/scanner.helpers.js'
import { eicar, zipOf } from '../client/files/fixtures.js'

/**
 * [A4][T22] The organisation scanner end to end: the real server process, personas for the
 * people, the scanner as the CLI (`scan --once`, its own process) beside a real clamd with the
 * test's own signature database. Personas: Admin and Deputy (admins), Ann and Eve (members; Eve
 * would like her file to look clean), and "Acme scanner", a person of the organisation.
 */
const env = useServer()
const LIMIT = 1024 * 1024
const own = new Uint8Array(randomBytes(4000)) // bytes only this test's signature knows
let clamd: Clamd

const ok = (r: CliRun): CliRun => {
  if (r.code !== 0) throw new Error(`\`${r.args.slice(4).join(' ')}\` exited ${r.code}:\n${r.stdout}${r.stderr}`)
  return r
}
const jsonLines = (text: string) => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
const memberNames = (p: Persona, group: ConvId) => p.messenger.team.groups(p.messenger.team.orgOf(group)!).find((g) => g.group === group)?.members.map((m) => m.name) ?? []

describeClamd('[A4][T22] the organisation scanner', () => {
  beforeAll(async () => {
    clamd = await startClamd([hashSignature(eicar(), 'Eicar-Test-Signature'), hashSignature(own, 'FieldChat-Test-Own')], LIMIT)
  }, 90_000)
  afterAll(async () => clamd?.stop())

  test('[A4][T22] a scanner named by the policy joins every group as a visible member, scans with clamd and posts signed verdicts every member sees; a member\'s fake "clean" is ignored; the server holds no file key', async () => {
    const [admin, deputy, ann, eve] = await Promise.all(['Admin', 'Deputy', 'Ann', 'Eve'].map((n) => env.persona(n)))
    const people = [admin!, deputy!, ann!, eve!]
    for (const p of people) p.messenger.start()
    const org = await enrol(admin!, [deputy!, ann!, eve!], 'Acme')
    await admin!.messenger.team.promote(org, userOf(deputy!, org))
    await until(() => deputy!.messenger.team.canAdmin(org), 'deputy is an admin')

    // The scanner is a person of the organisation, its device the CLI on a machine the organisation controls.
    const scanner = cliHome('scanner', () => env.server().url)
    ok(await scanner.run('init', '--name', 'Acme scanner'))
    const link = (await admin!.messenger.team.invite(org, 'http://x')).link
    expect(ok(await scanner.run('--json', '--timeout', '60', 'org', 'accept', link)).json()).toMatchObject({ status: 'admitted' })
    await until(() => people.every((p) => p.messenger.team.directory(org).some((e) => e.name === 'Acme scanner')), 'the scanner in every directory')
    const scannerUser = admin!.messenger.team.directory(org).find((e) => e.name === 'Acme scanner')!.user

    // A group from before the policy, and one after: the admin devices add the scanner to both —
    // to Yard both admins' devices (members) at once, when the policy reaches them.
    const yard = await groupWith(admin!, org, 'Yard', [eve!, deputy!])
    await expect(admin!.messenger.team.setPolicy(org, { scanner: 'nobody-here' })).rejects.toMatchObject({ code: 'M509_POLICY_INVALID' })
    const refused = await scanner.run('--json', 'org', 'policy', org, 'scanner=Nobody Here')
    expect(refused.json()).toMatchObject({ error: { code: 'M509_POLICY_INVALID' } })
    await admin!.messenger.team.setPolicy(org, { scanner: scannerUser })
    await until(() => people.every((p) => p.messenger.team.policy(org).scanner === scannerUser), 'everyone has the policy')
    const depot = await groupWith(admin!, org, 'Depot', [ann!, eve!])
    for (const [group, members] of [[yard, [admin!, eve!, deputy!]], [depot, [admin!, ann!, eve!]]] as const) {
      await until(() => members.every((p) => memberNames(p, group).includes('Acme scanner')), 'every member sees the scanner in the group', 60_000)
      await until(() => members.every((p) => [...p.messenger.members(group).values()].includes('Acme scanner')), 'the scanner among the members', 60_000)
    }
    // Two admin devices added it, concurrently or not: it is a member once.
    expect(memberNames(eve!, yard).filter((n) => n === 'Acme scanner')).toHaveLength(1)
    ok(await scanner.run('sync'))
    const policyView = ok(await scanner.run('--json', 'org', 'policy', org)).json<{ scanner: { user: string; name: string } }>()
    expect(policyView.scanner).toEqual({ user: scannerUser, name: 'Acme scanner' })

    // Ann sends a clean file, EICAR in a zip (the device's check only warns: an executable inside),
    // the test's own signature, and a file past clamd's StreamMaxLength.
    const files: Record<string, Uint8Array> = {
      'notes.txt': new TextEncoder().encode('gate 3 is open\n'.repeat(200)),
      'tools.zip': await zipOf({ 'readme.txt': 'setup tools', 'eicar.com': eicar() }),
      'report.bin': own,
      'survey.bin': new Uint8Array(randomBytes(LIMIT + 300_000)),
    }
    for (const [name, bytes] of Object.entries(files)) await ann!.messenger.sendFiles(depot, [{ source: bytesSource(bytes), name, type: name.endsWith('.zip') ? 'application/zip' : name.endsWith('.txt') ? 'text/plain' : 'application/octet-stream', confirmed: true }])
    const refOf = (p: Persona, name: string): FileRef | undefined => p.messenger.messages(depot).flatMap((m) => m.files ?? []).find((f) => f.name === name)
    await until(() => [admin!, eve!].every((p) => Object.keys(files).every((n) => refOf(p, n))), 'every file reaches the members', 60_000)
    const refs = Object.fromEntries(Object.keys(files).map((n) => [n, refOf(ann!, n)!]))

    // Eve posts a verdict of her own: "clean" for the zip. It is no message, and it counts for nothing.
    await eve!.messenger.postVerdicts(depot, [{ blob: refs['tools.zip']!.blob, sha256: refs['tools.zip']!.sha256, result: 'clean' }])
    await until(() => admin!.messenger.messages(depot).length === 4 && ann!.messenger.postedVerdicts(depot).length === 0, 'eve\'s verdict is written')

    // clamd down: nothing is posted, the error is printed, the files wait (exit 1).
    const down = await scanner.run('--json', 'scan', '--once', '--clamd-socket', join(clamd.dir, 'no-such.sock'))
    expect(down.code).toBe(1)
    expect(down.stderr).toContain('V100_CLAMD_UNAVAILABLE')
    expect(jsonLines(down.stdout)).toEqual([{ scanned: 0, left: 4 }])

    const run = ok(await scanner.run('--json', 'scan', '--once', '--clamd-socket', (clamd.address as { path: string }).path, '--clamd-max-stream', String(LIMIT)))
    const lines = jsonLines(run.stdout)
    expect(lines.at(-1)).toEqual({ scanned: 4, left: 0 })
    const byName = Object.fromEntries(lines.slice(0, -1).map((l) => [l.name as string, l]))
    expect(byName).toMatchObject({
      'notes.txt': { conv: depot, file: refs['notes.txt']!.blob, result: 'clean' },
      'tools.zip': { result: 'infected', detail: 'Eicar-Test-Signature' },
      'report.bin': { result: 'infected', detail: 'FieldChat-Test-Own' },
      'survey.bin': { result: 'unscanned', detail: 'too large' },
    })
    expect(readdirSync(join(scanner.dir, 'scan'))).toEqual([])

    // Every member sees the scanner's verdicts beside the files, Eve's "clean" ignored.
    for (const p of [admin!, ann!, eve!]) {
      await until(() => p.messenger.fileVerdicts(depot).size === 4, `${p.name} sees the verdicts`)
      const v = p.messenger.fileVerdicts(depot)
      expect(v.get(refs['notes.txt']!.blob)).toMatchObject({ result: 'clean', scanner: 'Acme scanner' })
      expect(v.get(refs['tools.zip']!.blob)).toMatchObject({ result: 'infected', scanner: 'Acme scanner', name: 'Eicar-Test-Signature', sha256: refs['tools.zip']!.sha256 })
      expect(v.get(refs['report.bin']!.blob)).toMatchObject({ result: 'infected', name: 'FieldChat-Test-Own' })
      expect(v.get(refs['survey.bin']!.blob)).toMatchObject({ result: 'unscanned', name: 'too large' })
      expect(p.messenger.messages(depot).map((m) => m.files?.[0]?.name)).toEqual(Object.keys(files))
    }
    const listed = ok(await scanner.run('--json', 'files', depot)).json<{ files: { name: string; scan?: unknown }[] }>().files
    expect(listed.find((f) => f.name === 'tools.zip')?.scan).toEqual({ result: 'infected', scanner: 'Acme scanner', detail: 'Eicar-Test-Signature' })

    // Nothing new: a second run posts nothing.
    expect(ok(await scanner.run('--json', 'scan', '--once', '--clamd-socket', (clamd.address as { path: string }).path, '--clamd-max-stream', String(LIMIT))).json()).toEqual({ scanned: 0, left: 0 })

    // Following: a file sent while `scan` runs gets its verdict; SIGTERM ends it cleanly.
    const follower = spawn(process.execPath, ['--import', 'tsx', 'client/cli/main.ts', '--home', scanner.dir, '--server', env.server().url, '--json', 'scan', '--clamd-socket', (clamd.address as { path: string }).path], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] })
    let followed = ''
    let followErr = ''
    follower.stdout.on('data', (d: Buffer) => (followed += d.toString()))
    follower.stderr.on('data', (d: Buffer) => (followErr += d.toString()))
    const followerExit = new Promise<number | null>((r) => follower.once('exit', (code) => r(code)))
    try {
      await ann!.messenger.sendFiles(depot, [{ source: bytesSource(new TextEncoder().encode('late but clean')), name: 'late.txt', type: 'text/plain' }])
      await until(() => followed.includes('late.txt'), `the following scanner's verdict on late.txt (stderr: ${followErr})`, 60_000)
      expect(jsonLines(followed)).toEqual([expect.objectContaining({ name: 'late.txt', result: 'clean' })])
    } finally {
      follower.kill('SIGTERM')
    }
    expect(await followerExit).toBe(0)
    const late = refOf(ann!, 'late.txt')!
    await until(() => eve!.messenger.fileVerdicts(depot).get(late.blob)?.result === 'clean', 'eve sees the verdict on late.txt')

    // The scanner is just a member: a copy of the server's data holds no file key, no file name,
    // no EICAR bytes, no signature name and not the scanner's name.
    const needles = [
      Buffer.from(eicar()), Buffer.from(own.subarray(0, 64)), ...['tools.zip', 'eicar.com', 'Eicar-Test-Signature', 'FieldChat-Test-Own', 'Acme scanner'].map((s) => Buffer.from(s)),
      ...Object.values(refs).flatMap((r) => [Buffer.from(r.secret.key), Buffer.from(toBase64Url(r.secret.key))]),
    ]
    const stored: string[] = []
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) (e.isDirectory() ? walk(join(dir, e.name)) : stored.push(join(dir, e.name)))
    }
    walk(env.server().dataDir)
    expect(stored.length).toBeGreaterThan(0)
    for (const f of stored) {
      const bytes = readFileSync(f)
      for (const n of needles) expect(bytes.includes(n), `${n.toString('latin1').slice(0, 20)}… in ${f}`).toBe(false)
    }
    expect(Buffer.from(env.server().output()).includes(Buffer.from('tools.zip'))).toBe(false)

    // Off: verdicts stop counting; the scanner stays in the groups until an admin removes it.
    await admin!.messenger.team.setPolicy(org, { scanner: false })
    await until(() => people.every((p) => p.messenger.team.policy(org).scanner === undefined), 'the policy is off everywhere')
    expect(ann!.messenger.fileVerdicts(depot).size).toBe(0)
    expect(memberNames(ann!, depot)).toContain('Acme scanner')
    await admin!.messenger.team.removeFromGroup(depot, scannerUser)
    await until(() => !memberNames(ann!, depot).includes('Acme scanner'), 'the scanner removed from the group')
  }, 240_000)
})
