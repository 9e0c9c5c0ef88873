import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { cliHome, runCli, type CliRun } from './helpers/cli.js'
import { useServer } from './helpers/lifecycle.js'

/**
 * [M32] The CLI's recovery, as separate processes: `recovery show` prints the key once (then only
 * the state), a new home given it with `recover` reads the conversation's history and writes as
 * the same person; the spent key, a wrong one and a malformed one get their codes.
 */
for (const v of ['FIELDCHAT_PASSPHRASE', 'FIELDCHAT_KEY_FILE', 'FIELDCHAT_HOME', 'FIELDCHAT_RECOVERY_KEY']) delete process.env[v]
const env = useServer()

const ok = (r: CliRun): CliRun => {
  if (r.code !== 0) throw new Error(`\`${r.args.slice(4).join(' ')}\` exited ${r.code}:\n${r.stdout}${r.stderr}`)
  return r
}
const recoverIn = (dir: string, key: string) => runCli(['--home', dir, '--server', env.server().url, '--json', 'recover'], 90_000, { FIELDCHAT_RECOVERY_KEY: key })
const code = (r: CliRun) => r.json<{ error?: { code?: string } }>().error?.code

test('[M32] recovery show prints the key once; recover on a new home brings back the conversation and its history; the key is then spent', async () => {
  const eva = cliHome('eva', () => env.server().url)
  ok(await eva.run('init', '--name', 'Eva'))
  const conv = ok(await eva.run('--json', 'create', '--title', 'Field notes')).json<{ conv: string }>().conv
  ok(await eva.run('--json', 'send', conv, 'before the key'))
  const shown = ok(await eva.run('--json', 'recovery', 'show')).json<{ created: boolean; recoveryKey: string; uploaded: number }>()
  expect(shown.created).toBe(true)
  expect(shown.recoveryKey).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){13}[0-9A-HJKMNP-TV-Z]$/)
  expect(shown.uploaded).toBeGreaterThan(0)
  const human = ok(await eva.run('recovery', 'show'))
  expect(human.stdout).not.toContain(shown.recoveryKey)
  expect(human.stdout).toContain('cannot be shown again')
  ok(await eva.run('--json', 'send', conv, 'after the key'))
  ok(await eva.run('--json', 'sync'))
  ok(await eva.run('--json', 'recovery', 'show')) // brings the blob up to date

  const fresh = mkdtempSync(join(tmpdir(), 'fieldchat-cli-eva-new-'))
  const restored = ok(await recoverIn(fresh, shown.recoveryKey.toLowerCase().replace(/-/g, ' '))).json<{ name: string; orgs: string[]; conversations: { conv: string }[] }>()
  expect(restored.name).toBe('Eva')
  expect(restored.orgs).toEqual([conv])
  const read = () => runCli(['--home', fresh, '--server', env.server().url, '--json', 'messages', conv])
  const messages = ok(await read()).json<{ messages: { text: string; authorName: string }[] }>().messages
  expect(messages.map((m) => m.text)).toEqual(['before the key', 'after the key'])
  ok(await runCli(['--home', fresh, '--server', env.server().url, '--json', 'send', conv, 'from the new home']))
  ok(await eva.run('--json', 'sync'))
  expect(ok(await eva.run('--json', 'messages', conv)).json<{ messages: { text: string; authorName: string }[] }>().messages.at(-1)).toMatchObject({ text: 'from the new home', authorName: 'Eva' })

  const spent = await recoverIn(mkdtempSync(join(tmpdir(), 'fieldchat-cli-eva-spent-')), shown.recoveryKey)
  expect(code(spent)).toBe('M513_RECOVERY_NOT_FOUND')
  const malformed = await recoverIn(mkdtempSync(join(tmpdir(), 'fieldchat-cli-eva-bad-')), 'not-a-key')
  expect(code(malformed)).toBe('M512_RECOVERY_KEY_MALFORMED')
  const taken = await recoverIn(eva.dir, shown.recoveryKey)
  expect(code(taken)).toBe('M515_IDENTITY_EXISTS')
}, 240_000)
