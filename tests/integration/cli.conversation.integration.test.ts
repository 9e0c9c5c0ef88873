import { expect, test } from 'vitest'
import { cliHome, type CliRun } from './helpers/cli.js'
import { useServer } from './helpers/lifecycle.js'

/**
 * The conversation commands of the CLI, each run as its own process against the real server.
 * A conversation is a space like an organisation's ([T2]): `create` prints a one-time link,
 * `join` answers it, and the creator's device admits the answer when it next connects.
 */
const env = useServer()
const home = (name: string) => cliHome(name, () => env.server().url)

const ok = (r: CliRun): CliRun => {
  if (r.code !== 0) throw new Error(`\`${r.args.slice(4).join(' ')}\` exited ${r.code}:\n${r.stdout}${r.stderr}`)
  return r
}

test('[T12][M30] create, join by one-time link (pending until the admin device syncs), send, members, remove (the removed device wipes it): each a process, --json', async () => {
  const [ana, ben, cal] = [home('ana'), home('ben'), home('cal')]
  await Promise.all([ana.run('init', '--name', 'Ana'), ben.run('init', '--name', 'Ben'), cal.run('init', '--name', 'Cal')].map(async (r) => ok(await r)))
  const created = ok(await ana.run('--json', 'create', '--title', 'Night shift')).json<{ conv: string; link: string; expires: number }>()
  expect(created.link).toMatch(/#org=[A-Za-z0-9_-]+$/)
  const { conv } = created

  // Ana's device is not running: Ben's answer waits for it.
  const pending = ok(await ben.run('--json', '--timeout', '3', 'join', created.link)).json()
  expect(pending).toEqual({ status: 'pending', conv, org: conv, name: 'Night shift' })
  ok(await ana.run('--json', 'sync'))
  expect(ok(await ben.run('--json', 'join', created.link)).json()).toEqual({ status: 'admitted', conv, org: conv, name: 'Night shift', admin: false })

  // One link admits one person: Cal needs a link of his own.
  const second = ok(await ana.run('--json', 'invite', conv, '--ttl', '1')).json<{ link: string; expires: number }>()
  expect(second.expires - Date.now()).toBeLessThan(3600_000 + 1000)
  const calJoin = cal.run('--json', '--timeout', '20', 'join', second.link)
  await new Promise((r) => setTimeout(r, 1500))
  ok(await ana.run('--json', 'sync'))
  expect(ok(await calJoin).json()).toMatchObject({ status: 'admitted', conv })

  ok(await ben.run('--json', 'send', conv, 'pump 3 is down'))
  const listed = ok(await ana.run('--json', 'list')).json<{ conversations: { conv: string; kind: string; members: number }[] }>().conversations
  expect(listed).toEqual([expect.objectContaining({ conv, kind: 'conversation', members: 3 })])
  // A conversation is not listed among organisations.
  expect(ok(await ana.run('--json', 'org', 'list')).json<{ orgs: unknown[] }>().orgs).toEqual([])

  ok(await ana.run('--json', 'sync'))
  const seen = ok(await ana.run('--json', 'messages', conv)).json<{ messages: { text: string; authorName: string }[] }>().messages
  expect(seen.map((m) => [m.authorName, m.text])).toEqual([['Ben', 'pump 3 is down']])

  const members = ok(await ana.run('--json', 'members', conv)).json<{ members: { device: string; name: string; admin: boolean }[] }>().members
  expect(members.map((m) => [m.name, m.admin]).sort()).toEqual([['Ana', true], ['Ben', false], ['Cal', false]])
  const benDevice = members.find((m) => m.name === 'Ben')!.device
  expect(ok(await ana.run('--json', 'remove', conv, benDevice)).json()).toEqual({ removed: benDevice, conv })

  const benList = ok(await ben.run('--json', 'sync'))
  expect(benList.code).toBe(0)
  // [M30] A conversation is a one-space organisation: Ben's device deleted it, and lists it as such.
  expect(benList.json<{ wiped: unknown[] }>().wiped).toEqual([expect.objectContaining({ org: conv, kind: 'conversation', reason: 'person-removed' })])
  expect(ok(await ben.run('--json', 'list')).json()).toEqual({ conversations: [], wiped: [expect.objectContaining({ org: conv, kind: 'conversation' })] })
  // Groups belong in organisations.
  const group = await ana.run('--json', 'group', 'create', conv, 'Sub')
  expect(group.code).toBe(1)
  expect(group.json<{ error: { code: string } }>().error.code).toBe('M508_NOT_AN_ORGANISATION')
}, 120_000)
