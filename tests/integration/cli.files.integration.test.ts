import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { cliBundle, cliHome, type CliHome, type CliRun } from './helpers/cli.js'
import { startTcpProxy } from './helpers/tcpProxy.js'
import { useServer } from './helpers/lifecycle.js'

/** [A2][A3] send-file, files and get-file, each a CLI process against the real server, with --json progress. */
const env = useServer()
const home = (name: string) => cliHome(name, () => env.server().url)
const ok = (r: CliRun): CliRun => {
  if (r.code !== 0) throw new Error(`\`${r.args.slice(4).join(' ')}\` exited ${r.code}:\n${r.stdout}${r.stderr}`)
  return r
}
/** The JSON lines of a run: progress events first, the result last. */
const jsonLines = (r: CliRun) => r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)

/** Two CLI devices in a new conversation `title`, created by the first and joined by the second. */
async function pair(ana: CliHome, ben: CliHome, title: string): Promise<string> {
  ok(await ana.run('init', '--name', 'Ana'))
  ok(await ben.run('init', '--name', 'Ben'))
  const { conv, link } = ok(await ana.run('--json', 'create', '--title', title)).json<{ conv: string; link: string }>()
  const joining = ben.run('--json', '--timeout', '30', 'join', link)
  await new Promise((r) => setTimeout(r, 1500))
  ok(await ana.run('--json', 'sync'))
  ok(await joining)
  return conv
}

test('[A2][A3] send-file with a caption (progress as JSON lines), files lists it, get-file writes it byte for byte; a taken --out and an unknown file id are refused', async () => {
  const [ana, ben] = [home('ana'), home('ben')]
  const conv = await pair(ana, ben, 'Site B')

  const dir = mkdtempSync(join(tmpdir(), 'fieldchat-files-'))
  const path = join(dir, 'manual v2.pdf')
  const content = randomBytes(17 * 1024 * 1024 + 123)
  writeFileSync(path, content)
  // Random bytes named .pdf: the checks warn ([H2]); nothing is queued without the second step.
  const warned = await ana.run('--json', 'send-file', conv, path, '--caption', 'the new manual')
  expect(warned.code).toBe(1)
  expect(jsonLines(warned).at(-1)).toMatchObject({ error: { code: 'M532_FILE_NEEDS_CONFIRMATION', verdict: { level: 'warn', reasons: [expect.objectContaining({ code: 'H101_TYPE_MISMATCH' })] } } })
  const sent = ok(await ana.run('--json', 'send-file', conv, path, '--caption', 'the new manual', '--accept-warning'))
  const lines = jsonLines(sent)
  const progress = lines.filter((l) => l.event === 'progress')
  expect(progress.length).toBeGreaterThan(1)
  expect(progress.at(-1)).toMatchObject({ sent: content.length, total: content.length })
  const result = lines.at(-1) as { upload: string; files: { file: string; name: string; size: number; sha256: string }[] }
  // Progress from the start: while it is encrypted (`preparing`, with `sealed`), under the upload's id.
  expect(progress[0]).toMatchObject({ state: 'preparing', upload: result.upload, total: content.length })
  expect(progress.filter((l) => l.state === 'preparing').map((l) => l.sealed as number).at(-1)).toBe(content.length)
  expect(result.files).toEqual([expect.objectContaining({ name: 'manual v2.pdf', size: content.length, sha256: createHash('sha256').update(content).digest('hex') })])

  ok(await ben.run('--json', 'sync'))
  const listed = ok(await ben.run('--json', 'files', conv)).json<{ files: { file: string; name: string; from: string; type: string }[] }>().files
  expect(listed).toEqual([expect.objectContaining({ file: result.files[0]!.file, name: 'manual v2.pdf', from: 'Ana', type: 'application/pdf' })])

  const out = join(dir, 'got.pdf')
  // The receiver's device checks it too, before it is saved under its name.
  const held = await ben.run('--json', 'get-file', conv, result.files[0]!.file, '--out', out)
  expect(jsonLines(held).at(-1)).toMatchObject({ error: { code: 'M532_FILE_NEEDS_CONFIRMATION' } })
  expect(existsSync(out) || existsSync(`${out}.part`)).toBe(false)
  const got = ok(await ben.run('--json', 'get-file', conv, result.files[0]!.file, '--out', out, '--accept-warning'))
  expect(jsonLines(got).at(-1)).toMatchObject({ name: 'manual v2.pdf', size: content.length, out })
  expect(readFileSync(out).equals(content)).toBe(true)
  expect(existsSync(`${out}.part`)).toBe(false)

  const again = await ben.run('--json', 'get-file', conv, result.files[0]!.file, '--out', out)
  expect(again.code).not.toBe(0)
  expect(again.json<{ error: { code: string } }>().error.code).toBe('C100_USAGE')
  const unknown = await ben.run('--json', 'get-file', conv, 'AAAAAAAAAAAAAAAAAAAAAA', '--out', join(dir, 'x'))
  expect(unknown.json<{ error: { code: string } }>().error.code).toBe('M539_FILE_UNKNOWN')
}, 180_000)

test('[M44] forward of a message with a file through the CLI: it is sent again into the other conversation (a new blob), and listed there', async () => {
  const ana = home('ana-fwd')
  ok(await ana.run('init', '--name', 'Ana'))
  const { conv } = ok(await ana.run('--json', 'create', '--title', 'Site C')).json<{ conv: string }>()
  const { conv: other } = ok(await ana.run('--json', 'create', '--title', 'Office C')).json<{ conv: string }>()
  const dir = mkdtempSync(join(tmpdir(), 'fieldchat-fwd-'))
  const path = join(dir, 'notes.txt')
  writeFileSync(path, 'gate code changes on Monday\n')
  const sent = jsonLines(ok(await ana.run('--json', 'send-file', conv, path, '--caption', 'read this'))).at(-1) as { message: string; files: { file: string }[] }
  const fwd = ok(await ana.run('--json', 'forward', conv, sent.message, other)).json<{ conv: string; upload: string; ref: string }>()
  expect(fwd).toMatchObject({ conv: other, upload: expect.any(String), ref: expect.any(String) })
  const listed = ok(await ana.run('--json', 'files', other)).json<{ files: { file: string; name: string }[] }>().files
  expect(listed).toEqual([expect.objectContaining({ name: 'notes.txt' })])
  expect(listed[0]!.file).not.toBe(sent.files[0]!.file)
}, 120_000)

test('[A2][F3] send-file killed (SIGKILL) half-way through its upload: the next run goes on from the file\'s path, sealed again and checked — a changed file fails with M540, put back it goes with retry-upload — and arrives byte for byte', async () => {
  const proxy = await startTcpProxy(env.server().port)
  try {
    const [ana, ben] = [cliHome('ana-kill', () => proxy.url), home('ben-kill')]
    const conv = await pair(ana, ben, 'Site D')

    const dir = mkdtempSync(join(tmpdir(), 'fieldchat-kill-'))
    const path = join(dir, 'survey.bin')
    const content = randomBytes(20 * 1024 * 1024 + 5)
    writeFileSync(path, content)
    // The link drops after 6 MB: send-file waits, and is killed while it waits.
    const cut = proxy.cutAfter(6 * 1024 * 1024, 'up').then(() => void (proxy.online = false))
    const child = spawn(process.execPath, [await cliBundle(), '--home', ana.dir, '--server', proxy.url, '--json', 'send-file', conv, path], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    const exited = new Promise((r) => child.once('close', r))
    await cut
    const deadline = Date.now() + 60_000
    while (!/"state":"waiting"/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(out).toMatch(/"state":"waiting"/)
    child.kill('SIGKILL')
    await exited
    // Killed: nothing was sealed into the spool (no stop ran); the record names the path.
    expect(existsSync(join(ana.dir, 'spool')) ? readdirSync(join(ana.dir, 'spool')) : []).toEqual([])

    const upload = /"upload":"([^"]+)"/.exec(out)![1]!

    // The file changed meanwhile (one bit near its end): the next run refuses to seal it again (M540).
    const changed = Buffer.from(content)
    changed[changed.length - 10]! ^= 1
    writeFileSync(path, changed)
    proxy.online = true
    ok(await ana.run('--json', '--timeout', '60', 'sync'))
    expect(ok(await ana.run('--json', 'files', conv)).json<{ uploads: unknown[] }>().uploads).toEqual([expect.objectContaining({ upload, state: 'failed', error: 'M540_FILE_CHANGED' })])
    // Put back as it was: retry-upload sends it.
    writeFileSync(path, content)
    ok(await ana.run('--json', '--timeout', '60', 'retry-upload', upload))
    expect(ok(await ana.run('--json', 'files', conv)).json<{ uploads: unknown[] }>().uploads).toEqual([])
    ok(await ben.run('--json', 'sync'))
    const listed = ok(await ben.run('--json', 'files', conv)).json<{ files: { file: string; name: string }[] }>().files
    const got = join(dir, 'got.bin')
    ok(await ben.run('--json', 'get-file', conv, listed.find((f) => f.name === 'survey.bin')!.file, '--out', got))
    expect(readFileSync(got).equals(content)).toBe(true)
  } finally {
    await proxy.close()
  }
}, 180_000)
