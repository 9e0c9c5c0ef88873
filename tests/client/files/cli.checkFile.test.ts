import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { cliHome, runCli, type CliRun } from '../../integration/helpers/cli.js'
import { useServer } from '../../integration/helpers/lifecycle.js'
import { ascii, concat, isoImage, jpeg, pdf, peProgram, sha256Of } from './fixtures.js'

/**
 * [H7][H8] `check-file` as a script runs it: the CLI in its own process. Without an organisation
 * it needs no server and no device (and makes no home); with one, the verdict applies the policy
 * its admin (Ana, of Acme) set with `org policy`, read from her device's store.
 */
for (const v of ['FIELDCHAT_PASSPHRASE', 'FIELDCHAT_KEY_FILE', 'FIELDCHAT_HOME']) delete process.env[v]

const scratch = mkdtempSync(join(tmpdir(), 'fieldchat-check-file-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))
const file = (name: string, bytes: Uint8Array) => {
  const path = join(scratch, name)
  writeFileSync(path, bytes)
  return path
}
const ok = (r: CliRun): CliRun => {
  if (r.code !== 0) throw new Error(`\`${r.args.join(' ')}\` exited ${r.code}:\n${r.stdout}${r.stderr}`)
  return r
}
interface Verdict { level: string; reasons: { code: string; level: string; text: string }[]; sha256: string; size: number; realType?: { ext: string }; org?: { id: string; name: string } }

describe('[H7] check-file without an organisation', () => {
  const nowhere = join(scratch, 'no-home')
  const run = (...args: string[]) => runCli(['--home', nowhere, '--server', 'ws://127.0.0.1:9/sync', ...args])

  test('[H7][H3] an .exe renamed .pdf: block, "executable disguised as PDF", with its sha256 and size; exit 1; no server, no home made', async () => {
    const bytes = peProgram()
    const r = await run('--json', 'check-file', file('invoice.pdf', bytes))
    expect(r.code).toBe(1)
    const v = r.json<Verdict>()
    expect(v).toMatchObject({ level: 'block', sha256: sha256Of(bytes), size: bytes.length, realType: { ext: 'exe' } })
    expect(v.reasons[0]).toEqual({ code: 'H109_DISGUISED', level: 'block', text: 'executable disguised as PDF' })
    expect(v.org).toBeUndefined()
    expect(existsSync(nowhere)).toBe(false)
  })

  test('[H7] a JPEG is ok (exit 0); named as something else with --name and --type, it is a warned mismatch (exit 1), in words without --json', async () => {
    const path = file('photo.jpg', jpeg())
    expect(ok(await run('--json', 'check-file', path)).json<Verdict>()).toMatchObject({ level: 'ok', reasons: [] })
    const r = await run('check-file', path, '--name', 'manual.pdf', '--type', 'application/pdf')
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('manual.pdf: warn')
    expect(r.stdout).toContain('H101_TYPE_MISMATCH  named .pdf but the content is JPG')
  })

  test('[H7] a missing file is a usage error; --org without a device is C101', async () => {
    expect((await run('--json', 'check-file', join(scratch, 'nope.pdf'))).json<{ error: { code: string } }>().error.code).toBe('C100_USAGE')
    const r = await run('--json', 'check-file', file('m.pdf', pdf()), '--org', 'Acme')
    expect(r.json<{ error: { code: string } }>().error.code).toBe('C101_NO_IDENTITY')
  })
})

describe('[H8][T21] check-file under the organisation\'s policy', () => {
  const env = useServer()
  const ana = cliHome('ana', () => env.server().url)

  test('[H8][T21] Ana blocks a hash, ISO images and files over 1 MiB with `org policy`; check-file applies it (--org, or the one organisation)', async () => {
    const bad = pdf()
    const badHash = sha256Of(bad)
    ok(await ana.run('init', '--name', 'Ana'))
    const { org } = ok(await ana.run('--json', 'org', 'create', 'Acme')).json<{ org: string }>()
    const set = ok(await ana.run('--json', 'org', 'policy', 'Acme', `block-hash=${badHash}`, 'block-type=iso', 'warn-type=zip', 'max-file-mb=1', 'block-domain=evil.example'))
    expect(set.json()).toEqual({ org, name: 'Acme', policy: { requireLock: false, autoLockMinutes: 0, forbidExport: false, files: { block: ['iso'], warn: ['zip'], maxFileMb: 1, blockedHashes: [badHash] }, blockedDomains: ['evil.example'] } })

    const listed = file('manual.pdf', bad)
    const byOrg = await ana.run('--json', 'check-file', listed, '--org', 'Acme')
    expect(byOrg.code).toBe(1)
    expect(byOrg.json<Verdict>()).toMatchObject({ level: 'block', reasons: [{ code: 'H203_BLOCKLISTED', text: 'known bad file (organisation blocklist)' }], org: { id: org, name: 'Acme' } })
    // Ana's device is in one organisation: its policy applies without --org.
    expect((await ana.run('--json', 'check-file', listed)).json<Verdict>().reasons.map((r) => r.code)).toEqual(['H203_BLOCKLISTED'])

    const iso = (await ana.run('--json', 'check-file', file('install.iso', await isoBytes()))).json<Verdict>()
    expect(iso.reasons.map((r) => r.code)).toEqual(['H201_POLICY_BLOCKED', 'H105_DISK_IMAGE'])
    const big = (await ana.run('--json', 'check-file', file('big.jpg', concat(jpeg(), new Uint8Array(1024 * 1024))))).json<Verdict>()
    expect(big).toMatchObject({ level: 'block', reasons: [{ code: 'H204_TOO_LARGE', text: 'larger than the organisation\'s limit of 1 MiB' }] })
    // Another PDF (one more line: another hash) is ok under the same policy.
    expect(ok(await ana.run('--json', 'check-file', file('other.pdf', concat(bad, ascii('% a second copy\n'))))).json<Verdict>().level).toBe('ok')

    const shown = ok(await ana.run('org', 'policy', 'Acme')).stdout
    expect(shown).toContain('file types blocked: iso')
    expect(shown).toContain('blocklist: 1 file (SHA-256), 1 domain')
  })
})

/** An ISO image's first 64 KiB, made up: the descriptor at 0x8001. */
async function isoBytes(): Promise<Uint8Array> {
  const source = isoImage()
  return source.read(0, source.size)
}
