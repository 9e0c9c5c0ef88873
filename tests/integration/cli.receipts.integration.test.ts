import { spawn } from 'node:child_process'
import { expect, test } from 'vitest'
import { cliBundle, cliHome, type CliRun } from './helpers/cli.js'
import { until } from './helpers/clients.js'
import { useServer } from './helpers/lifecycle.js'

/**
 * [M55]–[M57] The CLI's `read`, and receipts in `messages --json`: Ana writes, Ben reads with
 * `read`; while Ben's device is online (`follow`), Ana's `messages --json --receipts` shows that
 * Ben has read her message. Each command is its own process against the real server.
 */
const env = useServer()
const home = (name: string) => cliHome(name, () => env.server().url)
const ok = (r: CliRun): CliRun => {
  if (r.code !== 0) throw new Error(`\`${r.args.slice(4).join(' ')}\` exited ${r.code}:\n${r.stdout}${r.stderr}`)
  return r
}
interface Shown { id: string; text: string; receipts?: { delivered: string[]; read: string[] } }

test('[M56][M57] `read` on one device; `messages --json` on the other shows who has received and read each own message', async () => {
  const [ana, ben] = [home('ana'), home('ben')]
  await Promise.all([ana.run('init', '--name', 'Ana'), ben.run('init', '--name', 'Ben')].map(async (r) => ok(await r)))
  const { conv, link } = ok(await ana.run('--json', 'create', '--title', 'Depot')).json<{ conv: string; link: string }>()
  const joining = ben.run('--json', '--timeout', '30', 'join', link)
  await new Promise((r) => setTimeout(r, 1000))
  ok(await ana.run('--json', 'sync'))
  expect(ok(await joining).json()).toMatchObject({ status: 'admitted', conv })
  const [first] = ok(await ana.run('--json', 'send', conv, 'forklift 2 needs charging')).json<{ sent: string[] }>().sent

  // Ben reads: the receipt goes to whoever is online (nobody: Ana's CLI has exited), and is kept.
  const read = ok(await ben.run('--json', 'read', conv)).json<{ read: boolean; sent: boolean; unread: number }>()
  expect(read).toMatchObject({ conv, read: true, unread: 0 })
  const shown = async () => ok(await ana.run('--json', 'messages', conv)).json<{ messages: Shown[] }>().messages
  expect((await shown()).find((m) => m.id === first)!.receipts).toEqual({ delivered: [], read: [] })
  expect((await ben.run('--json', 'messages', conv)).json<{ messages: Shown[] }>().messages.find((m) => m.id === first)!.receipts).toBeUndefined() // not his

  // Ben's device online: on its join it tells its cursors, and answers Ana's ask.
  const follow = spawn(process.execPath, [await cliBundle(), '--home', ben.dir, '--server', env.server().url, '--json', 'follow', conv], { stdio: ['ignore', 'pipe', 'pipe'] })
  let followed = ''
  follow.stdout.on('data', (d: Buffer) => (followed += d.toString()))
  try {
    await until(() => followed.includes(first!), 'ben\'s follow is running')
    let receipts: Shown['receipts']
    await until(async () => {
      const r = ok(await ana.run('--json', 'messages', conv, '--receipts')).json<{ messages: Shown[] }>()
      receipts = r.messages.find((m) => m.id === first)!.receipts
      return receipts?.read.includes('Ben') ?? false
    }, 'ana learns that ben has read', 60_000)
    expect(receipts).toEqual({ delivered: ['Ben'], read: ['Ben'] })
  } finally {
    follow.kill('SIGTERM')
    await new Promise((r) => follow.once('close', r))
  }
  // What Ana heard is kept: shown again offline.
  expect((await shown()).find((m) => m.id === first)!.receipts).toEqual({ delivered: ['Ben'], read: ['Ben'] })
  const bad = await ana.run('--json', 'read', 'not-a-conversation')
  expect(bad.code).not.toBe(0)
}, 120_000)
