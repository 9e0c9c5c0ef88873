import { createServer, type Server } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { runCli, type CliRun } from '../../integration/helpers/cli.js'

/**
 * [U10] `check-link` as a script runs it: its own process, a home of its own, and a "server"
 * that only counts who connects to it. Checking a link never contacts anything.
 */
for (const v of ['FIELDCHAT_PASSPHRASE', 'FIELDCHAT_KEY_FILE', 'FIELDCHAT_HOME']) delete process.env[v]

let listener: Server
let port = 0
let connections = 0
const home = mkdtempSync(join(tmpdir(), 'fieldchat-linkcheck-'))

beforeAll(async () => {
  listener = createServer((socket) => {
    connections++
    socket.destroy()
  })
  await new Promise<void>((ok) => listener.listen(0, '127.0.0.1', ok))
  port = (listener.address() as { port: number }).port
})
afterAll(async () => {
  await new Promise<void>((ok) => listener.close(() => ok()))
  rmSync(home, { recursive: true, force: true })
})

const check = (...args: string[]) => runCli(['--home', home, '--server', `ws://127.0.0.1:${port}/sync`, '--origin', `http://127.0.0.1:${port}`, 'check-link', ...args])
const verdictOf = (r: CliRun) => r.json<{ link: boolean; level?: string; reasons?: { code: string; text: string }[]; host?: string; displayHost?: string; shownHost?: string }>()

describe('[U10] check-link on the command line', () => {
  test('[U10] an ordinary link: "ok", exit 0', async () => {
    const r = await check('https://example.com/a?b')
    expect([r.code, r.stdout]).toEqual([0, 'ok: https://example.com/a?b goes to example.com\n'])
  })

  test('[U10] [U4] a look-alike link as JSON: warn, its codes, the decoded host; exit 1', async () => {
    const r = await check('--json', 'https://xn--pple-43d.com/login')
    expect(r.code).toBe(1)
    const v = verdictOf(r)
    expect([v.link, v.level, v.reasons?.map((x) => x.code), v.host, v.displayHost]).toEqual([true, 'warn', ['U102_PUNYCODE', 'U103_MIXED_SCRIPT'], 'xn--pple-43d.com', '\u0430pple.com'])
  })

  test('[U10] [U3] [U6] --text and user-info say where the link really goes', async () => {
    const shown = verdictOf(await check('--json', '--text', 'bank.com', 'https://evil.example/'))
    expect([shown.reasons?.map((x) => x.code), shown.shownHost]).toEqual([['U101_SHOWN_TEXT_MISMATCH'], 'bank.com'])
    const r = await check('https://bank.com@evil.example/')
    expect(r.stdout).toContain('warn: https://bank.com@evil.example/ goes to evil.example')
    expect(r.stdout).toContain('U107_USERINFO  This link goes to evil.example.')
  })

  test('[U10] [U8] a dangerous scheme is block; an unknown one is not a link; both exit 1', async () => {
    const blocked = await check('--json', 'javascript:alert(1)')
    expect([blocked.code, verdictOf(blocked).level, verdictOf(blocked).reasons?.[0]?.code]).toEqual([1, 'block', 'U201_DANGEROUS_SCHEME'])
    const notLink = await check('--json', 'ftp://files.example.com/')
    expect([notLink.code, verdictOf(notLink)]).toEqual([1, { url: 'ftp://files.example.com/', link: false }])
  })

  test('[U10] a missing or extra argument is a usage error (exit 2)', async () => {
    for (const args of [[], ['https://a.example', 'https://b.example']]) {
      const r = await check('--json', ...args)
      expect([r.code, r.json<{ error: { code: string } }>().error.code]).toEqual([2, 'C100_USAGE'])
    }
  })

  test('[U10] with an identity on the device too, and not one connection was made to the server', async () => {
    const init = await runCli(['--home', home, '--server', `ws://127.0.0.1:${port}/sync`, 'init', '--name', 'Ana'])
    expect(init.code, init.stderr).toBe(0)
    const before = connections
    const r = await check('--json', 'https://a.b.evil.example/setup.exe')
    expect([r.code, verdictOf(r).reasons?.map((x) => x.code)]).toEqual([1, ['U108_DANGEROUS_DOWNLOAD']])
    expect(connections - before).toBe(0)
  })

  test('[U10] no run of check-link connected to the server', () => {
    expect(connections).toBe(0)
  })
})
