import { expect, test } from 'vitest'
import { cliHome, type CliRun } from './helpers/cli.js'
import { useServer } from './helpers/lifecycle.js'

/**
 * [M40]–[M47] The message commands of the CLI, each run as its own process against the real
 * server: reply, react (and take back), edit, pin, delete and forward on one device; `messages
 * --json` on the other shows them.
 */
const env = useServer()
const home = (name: string) => cliHome(name, () => env.server().url)

const ok = (r: CliRun): CliRun => {
  if (r.code !== 0) throw new Error(`\`${r.args.slice(4).join(' ')}\` exited ${r.code}:\n${r.stdout}${r.stderr}`)
  return r
}

interface Shown { id: string; text: string; authorName: string; deleted?: true; edited?: number; edits?: { text: string }[]; reactions?: { emoji: string; count: number; by: string[] }[]; pinned?: true; replyTo?: string; replyQuote?: { id: string; text: string; authorName: string }; fwd?: true }

test('[M40][M41][M42][M44][M46][M47] reply, react, edit, pin, delete and forward through the CLI; messages --json on the other device', async () => {
  const [ana, ben] = [home('ana'), home('ben')]
  await Promise.all([ana.run('init', '--name', 'Ana'), ben.run('init', '--name', 'Ben')].map(async (r) => ok(await r)))
  const { conv, link } = ok(await ana.run('--json', 'create', '--title', 'Night shift')).json<{ conv: string; link: string }>()
  const joining = ben.run('--json', '--timeout', '30', 'join', link)
  await new Promise((r) => setTimeout(r, 1000))
  ok(await ana.run('--json', 'sync'))
  expect(ok(await joining).json()).toMatchObject({ status: 'admitted', conv })
  const { conv: other } = ok(await ana.run('--json', 'create', '--title', 'Day shift')).json<{ conv: string }>()

  const sentFirst = ok(await ana.run('--json', 'send', conv, 'pump 3 is down')).json<{ sent: string[]; refs: string[] }>()
  const [first, firstRef] = [sentFirst.sent[0], sentFirst.refs[0]] // [M15] a ref, or a bare id that one message has
  const messages = async (who: typeof ana, c = conv) => ok(await who.run('--json', 'messages', c)).json<{ messages: Shown[] }>().messages

  const replied = ok(await ben.run('--json', 'reply', conv, first!, 'on my way')).json<{ id: string; replyTo: string }>()
  expect(replied.replyTo).toBe(first)
  ok(await ben.run('--json', 'react', conv, first!, '👍'))
  ok(await ben.run('--json', 'react', conv, first!, '🔥'))
  expect(ok(await ben.run('--json', 'react', conv, first!, '🔥', '--remove')).json()).toEqual({ conv, id: first, emoji: '🔥', removed: true })
  ok(await ana.run('--json', 'react', conv, first!, '👍'))
  ok(await ana.run('--json', 'edit', conv, first!, 'pump 3 is down, pump 4 too'))
  ok(await ana.run('--json', 'pin', conv, firstRef!))

  ok(await ben.run('--json', 'sync'))
  let seen = await messages(ben)
  const m1 = seen.find((m) => m.id === first)!
  expect(m1).toMatchObject({ text: 'pump 3 is down, pump 4 too', authorName: 'Ana', pinned: true, edits: [{ text: 'pump 3 is down' }] })
  expect(m1.reactions).toEqual([{ emoji: '👍', count: 2, mine: true, by: ['Ben', 'Ana'] }])
  expect(seen.find((m) => m.id === replied.id)).toMatchObject({ text: 'on my way', replyTo: first, replyQuote: { id: first, authorName: 'Ana', text: 'pump 3 is down, pump 4 too' } })

  // Only the author's device edits or deletes.
  const refused = await ben.run('--json', 'edit', conv, first!, 'all pumps fine')
  expect(refused.code).toBe(1)
  expect(refused.json<{ error: { code: string } }>().error.code).toBe('M551_NOT_AUTHOR')
  const bad = await ben.run('--json', 'react', conv, first!, 'thumbs')
  expect(bad.json<{ error: { code: string } }>().error.code).toBe('M553_REACTION_INVALID')
  const unknown = await ben.run('--json', 'react', conv, `999@${'ab'.repeat(32)}`, '👍')
  expect(unknown.json<{ error: { code: string } }>().error.code).toBe('M550_MESSAGE_NOT_FOUND')
  // A ref whose segment id begins with '-' is a ref, not an unknown option.
  const dashed = await ben.run('--json', 'react', conv, `-mb9vjYDKRrSPVFenAf6Yw.2@${'ab'.repeat(32)}`, '👍')
  expect(dashed.json<{ error: { code: string } }>().error.code).toBe('M550_MESSAGE_NOT_FOUND')

  const fwd = ok(await ana.run('--json', 'forward', conv, first!, other)).json<{ id: string }>()
  expect((await messages(ana, other)).map((m) => [m.id, m.text, m.fwd])).toEqual([[fwd.id, 'pump 3 is down, pump 4 too', true]])

  ok(await ana.run('--json', 'delete', conv, first!))
  ok(await ben.run('--json', 'sync'))
  seen = await messages(ben)
  const gone = seen.find((m) => m.id === first)!
  expect(gone).toMatchObject({ id: first, deleted: true, text: '' })
  expect(gone.reactions).toBeUndefined()
  expect(gone.edits).toBeUndefined()
  expect(gone.pinned).toBeUndefined()
  expect(seen.find((m) => m.id === replied.id)!.replyQuote).toEqual({ id: first, ref: firstRef, authorName: 'Ana', text: '', deleted: true })
  const again = await ana.run('--json', 'edit', conv, first!, 'undo')
  expect(again.json<{ error: { code: string } }>().error.code).toBe('M552_MESSAGE_DELETED')
}, 300_000)
