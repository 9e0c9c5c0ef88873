import { expect, test } from 'vitest'
import { segmentDocId } from '../../client/core/documents/model.js'
import { until } from './helpers/clients.js'
import { cliHome, type CliRun } from './helpers/cli.js'
import { conversationWith } from './helpers/team.js'
import { docState, useClockedServer, wall } from '../client/disappear.world.js'

/**
 * [M65]–[M68] Disappearing messages through the real server: two devices with a short timer (one
 * injected wall clock, moved forward instead of waiting), and the CLI's `timer` and `messages --json`.
 */
const env = useClockedServer()

test('[M65][M66][M67][M68] two devices, a 5-minute timer: the message expires on both and leaves both documents', async () => {
  const [ana, ben] = await Promise.all(['Ana', 'Ben'].map((n) => env.persona(n)))
  for (const p of [ana!, ben!]) p.messenger.start()
  const conv = await conversationWith(ana!, [ben!], 'Gate crew')
  await ben!.messenger.setTimer(conv, 300)
  await until(() => ana!.messenger.timer(conv).effective === 300, 'the timer at ana')
  expect(ana!.messenger.timerLines(conv).map((l) => l.text)).toEqual(['Ben set disappearing messages to 5 minutes'])
  const m = await ana!.messenger.send(conv, 'alarm code 9921')
  await until(() => ben!.messenger.messages(conv).some((x) => x.id === m.id && x.exp === m.ts + 300_000), 'the message with its exp at ben')

  wall.t = m.exp! - 1
  await Promise.all([ana!, ben!].map((p) => p.messenger.expireDue()))
  expect(ben!.messenger.messages(conv).map((x) => x.text)).toEqual(['alarm code 9921']) // not yet
  wall.t = m.exp!
  await Promise.all([ana!, ben!].map((p) => p.messenger.expireDue()))
  for (const p of [ana!, ben!]) expect(p.messenger.messages(conv)).toEqual([])
  for (const p of [ana!, ben!]) await until(async () => !(await docState(p, segmentDocId(conv, 0))).includes('alarm code 9921'), `${p.name}'s document without it`)
  await until(() => [ana!, ben!].every((p) => p.messenger.status.pending === 0), 'everything at the server')
})

const ok = (r: CliRun): CliRun => {
  if (r.code !== 0) throw new Error(`\`${r.args.slice(4).join(' ')}\` exited ${r.code}:\n${r.stdout}${r.stderr}`)
  return r
}

test('[M65][M66] the CLI: `timer CONV 5m` for every member, M560 for a value not offered, `messages --json` shows exp', async () => {
  const [ana, ben] = [cliHome('ana', () => env.server().url), cliHome('ben', () => env.server().url)]
  await Promise.all([ana.run('init', '--name', 'Ana'), ben.run('init', '--name', 'Ben')].map(async (r) => ok(await r)))
  const { conv, link } = ok(await ana.run('--json', 'create', '--title', 'Night shift')).json<{ conv: string; link: string }>()
  const joining = ben.run('--json', '--timeout', '30', 'join', link)
  await new Promise((r) => setTimeout(r, 1000))
  ok(await ana.run('--json', 'sync'))
  ok(await joining)

  expect(ok(await ana.run('--json', 'timer', conv, '5m')).json()).toMatchObject({ conv, seconds: 300, effective: 300 })
  const refused = await ana.run('--json', 'timer', conv, '2m')
  expect(refused.code).not.toBe(0)
  expect(refused.stdout + refused.stderr).toContain('M560')
  ok(await ana.run('--json', 'send', conv, 'meet at gate 2'))
  expect(ok(await ben.run('--json', 'timer', conv)).json()).toMatchObject({ seconds: 300 })
  const [shown] = ok(await ben.run('--json', 'messages', conv)).json<{ messages: { text: string; ts: number; exp?: number }[] }>().messages
  expect(shown).toMatchObject({ text: 'meet at gate 2' })
  expect(shown!.exp).toBe(shown!.ts + 300_000)
  expect(ok(await ana.run('--json', 'timer', conv, 'off')).json()).toMatchObject({ seconds: 0, effective: 0 })
}, 180_000) // CLI runs are processes: slow on a loaded 2-core machine
