import { expect, test } from 'vitest'
import { cliHome, type CliRun } from './helpers/cli.js'
import { useServer } from './helpers/lifecycle.js'

/**
 * [M50]–[M52] `search` in the CLI: two devices (each its own home, each command its own process)
 * through the real server; what Ana writes is found on Ben's device after a `sync`, by words in
 * any case and accents, in one conversation or all, as JSON or as lines.
 */
const env = useServer()
const home = (name: string) => cliHome(name, () => env.server().url)

const ok = (r: CliRun): CliRun => {
  if (r.code !== 0) throw new Error(`\`${r.args.slice(4).join(' ')}\` exited ${r.code}:\n${r.stdout}${r.stderr}`)
  return r
}

interface Hit { conv: string; convTitle: string; authorName: string; text: string; snippet: { text: string; ranges: [number, number][] } }

test('[M50][M51][M52] a message sent by one CLI device is found by `search` on the other, offline, across conversations', async () => {
  const [ana, ben] = [home('ana'), home('ben')]
  await Promise.all([ana.run('init', '--name', 'Ana'), ben.run('init', '--name', 'Ben')].map(async (r) => ok(await r)))
  const convs: string[] = []
  for (const title of ['Depot Süd', 'Night shift']) {
    const created = ok(await ana.run('--json', 'create', '--title', title)).json<{ conv: string; link: string }>()
    const join = ben.run('--json', '--timeout', '20', 'join', created.link)
    await new Promise((r) => setTimeout(r, 1000))
    ok(await ana.run('--json', 'sync'))
    expect(ok(await join).json()).toMatchObject({ status: 'admitted', conv: created.conv })
    convs.push(created.conv)
  }
  const [depot, night] = convs as [string, string]
  ok(await ana.run('--json', 'send', depot, 'Die Pumpe an der Straße ist kaputt'))
  ok(await ana.run('--json', 'send', night, 'Pumpenwartung morgen früh'))
  ok(await ana.run('--json', 'send', night, 'Le café est prêt'))
  ok(await ben.run('--json', 'sync'))

  const search = async (...args: string[]) => ok(await ben.run('--json', 'search', ...args)).json<{ query: string; hits: Hit[] }>()
  const strasse = await search('STRASSE')
  expect(strasse.hits.map((h) => [h.conv, h.convTitle, h.authorName, h.text])).toEqual([[depot, 'Depot Süd', 'Ana', 'Die Pumpe an der Straße ist kaputt']])
  const [hit] = strasse.hits
  expect(hit!.snippet.ranges.map(([a, b]) => hit!.snippet.text.slice(a, b))).toEqual(['Straße'])
  expect((await search('pump')).hits.map((h) => h.conv).sort()).toEqual([depot, night].sort())
  expect((await search('pump', '--conv', night)).hits.map((h) => h.text)).toEqual(['Pumpenwartung morgen früh'])
  expect((await search('cafe', 'pret')).hits.map((h) => h.text)).toEqual(['Le café est prêt'])
  expect((await search('pump', '--limit', '1')).hits).toHaveLength(1)

  // For people: one line per hit, the matched words marked.
  const human = ok(await ben.run('search', 'fruh'))
  expect(human.stdout).toMatch(/Night shift {2}Ana: {2}Pumpenwartung morgen «früh»/)
  // Usage errors are coded and exit 2.
  const bad = await ben.run('--json', 'search', 'pump', '--limit', 'x')
  expect(bad.code).toBe(2)
  expect(bad.json<{ error: { code: string } }>().error.code).toMatch(/^C/)
}, 120_000)
