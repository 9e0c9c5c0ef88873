import { availableParallelism } from 'node:os'
import type { Browser, Page } from 'playwright-core'
import { describe, expect, it, onTestFailed } from 'vitest'
import { hearingLinks, linkStates, openLinks, plainMicrophone, samplesPerPacket, watchPeerConnections } from '../helpers/callPages.js'
import { WAIT, createConversation, inviteLink, joinConversation, onboard, personIn, unexpectedErrors, useWorld, type Person } from './harness.js'

/**
 * [W32][V3] The mesh's stated size: eight people in one voice call, each hearing the seven others
 * over a link of its own, and a ninth who finds the call full. Alone in its phase of the suite
 * (`*.alone.e2e.test.ts`, vitest.config.ts): nine Chromium pages would starve whatever ran beside them.
 *
 * It needs {@link CORES} cores: every page encodes, seals, opens and decodes sound on each of its
 * links, and a four-person voice call (12 links) took 1.0 core of a two-core machine here
 * (2026-12-07, Chromium 156.0.8078.129; its frame-transform workers, audio threads and WebRTC
 * threads); 56 links do not fit in two, and the mesh did not come up within 240 s in any of eight
 * attempts, session 24's code (36 s then) included. On fewer cores it is skipped and says why;
 * `FIELDCHAT_CALLS_EIGHT=1` runs it anyway. What a ninth device sees of a full call is also
 * tested in Node (tests/client/calls/calls.test.ts), and media in group calls by the four-person
 * call of calls.e2e.test.ts.
 */
const CORES = 4
const cores = availableParallelism()
const runs = cores >= CORES || process.env.FIELDCHAT_CALLS_EIGHT === '1'
if (!runs) console.warn(`[calls.eight] skipped: ${cores} cores here, and eight people in one call need ${CORES} (FIELDCHAT_CALLS_EIGHT=1 runs it anyway)`)
const world = useWorld(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'])

const desk = async (browser: Browser, name: string, url: string): Promise<Person> => {
  const context = await browser.newContext({ viewport: { width: 1000, height: 760 }, locale: 'en-GB' })
  await context.grantPermissions(['camera', 'microphone'])
  await watchPeerConnections(context)
  await plainMicrophone(context)
  return personIn(context, name, url)
}
/**
 * Link polls read every link's statistics in the page: once a second, not every 100 ms. Up to
 * 240 s for a page's links: on a two-core machine with Chromium 156.0.8078.129 the mesh came up
 * once in 192 s (session 25) and then in none of eight attempts (session 26: why it needs
 * {@link CORES} cores); with the cores it needs it came up in 33–37 s (sessions 21–22).
 */
const LINKS = { ...WAIT, interval: 1_000, timeout: 240_000 }
const panel = (page: Page) => page.getByRole('region', { name: /^Call in / })

/** A failed wait on `who`: the error, with every link's state of `pages` (also on stderr, kept when the retry passes). */
const explain = (who: Person, pages: readonly Person[]) => async (err: Error): Promise<never> => {
  const states = await Promise.all(pages.map(async (p) => `${p.name}'s links:\n${await linkStates(p.page).catch((e: Error) => e.message)}`))
  const message = `${who.name}: ${err.message}\n${states.join('\n')}`
  console.error(`[calls.eight] ${message}`)
  throw new Error(message)
}

describe.skipIf(!runs)('calls', () => {
  // The failures this test had in CI (a link stuck in `new` for ever: an SDP lost, refused, or
  // carrying TCP candidates only on a starved machine) are now healed by the app ([W32]: links
  // made anew); healing takes 20 s and more, and a busy machine can still outrun the waits.
  // So one retry, on fresh pages (the failed attempt's close first); a failed attempt
  // prints every link's state and candidates to stderr (the CI log keeps it).
  it('[W32][V3] eight people in one voice call each hear the seven others; a ninth sees it full and cannot join until someone leaves', { retry: 1, timeout: 900_000 }, async () => {
    const names = ['Ann', 'Bo', 'Cy', 'Di', 'Ed', 'Flo', 'Gus', 'Hal', 'Ivy']
    const people = await Promise.all(names.map((n) => desk(world.browser, n, `${world.server.url}/`)))
    // A failed attempt's pages go with it: a retry beside nine pages still in a call would starve.
    onTestFailed(() => Promise.all(people.map((p) => p.context.close().catch(() => undefined))).then(() => undefined))
    const [ann, ...others] = people as [Person, ...Person[]]
    const ivy = others.at(-1)!
    const callers = [ann, ...others.slice(0, -1)]
    await onboard(ann.page, 'Ann')
    await createConversation(ann.page, 'Site walk')
    for (const p of others) await joinConversation(p, await inviteLink(ann.page), 'Site walk')

    await ann.page.getByRole('button', { name: 'Voice call', exact: true }).click()
    // One after another, as people pick up: each joins (Accept while it rings, the header's Join
    // call after) once everyone before hears everyone; the newcomer makes its links beside a call
    // that carries on. Seven links made at once is Ivy's part below. All seven accepting in the
    // same second made 28 links at once on two cores, and the mesh did not come up within 240 s
    // (Chromium 156.0.8078.129; the call's code of 36 s in session 24 included).
    for (const [i, p] of callers.slice(1).entries()) {
      const ringing = p.page.getByRole('alertdialog', { name: 'Voice call from Ann' })
      const join = p.page.getByRole('button', { name: 'Join call', exact: true })
      await ringing.getByRole('button', { name: 'Accept' }).or(join).first().click({ timeout: WAIT.timeout })
      const inCall = callers.slice(0, i + 2)
      for (const q of inCall) await expect.poll(() => hearingLinks(q.page), LINKS).toBe(i + 1).catch(explain(q, inCall))
    }
    for (const p of callers) {
      await expect.poll(() => openLinks(p.page), LINKS).toBe(7).catch(explain(p, callers))
      await expect.poll(() => hearingLinks(p.page), LINKS).toBe(7).catch(explain(p, callers))
      await expect.poll(() => panel(p.page).getByRole('list', { name: 'People in the call' }).getByRole('listitem').count(), WAIT).toBe(7)
    }

    // The ninth: it rings, says it is full, and neither Accept nor the header can join.
    const ringing = ivy.page.getByRole('alertdialog', { name: 'Voice call from Ann' })
    await ringing.waitFor(WAIT)
    await expect.poll(() => ringing.textContent(), WAIT).toContain('full (8 people)')
    expect(await ringing.getByRole('button', { name: 'Accept' }).isDisabled()).toBe(true)
    const full = ivy.page.getByRole('button', { name: 'Call full', exact: true })
    await full.waitFor(WAIT)
    expect(await full.isDisabled()).toBe(true)
    expect(await openLinks(ivy.page)).toBe(0)

    // Hal hangs up: Ivy can join, and hears the seven.
    const hal = callers.at(-1)!
    await panel(hal.page).getByRole('button', { name: 'Hang up' }).click()
    const join = ivy.page.getByRole('button', { name: 'Join call', exact: true })
    await join.waitFor(WAIT)
    await join.click()
    // Seven links at once from the newcomer.
    // On failure, each link's state: whether the links that do not hear are unconnected, silent, or undecodable.
    await expect.poll(() => hearingLinks(ivy.page), { ...LINKS, timeout: 180_000 }).toBe(7).catch(explain(ivy, [ivy, ann]))
    for (const p of callers.slice(0, -1)) await expect.poll(() => openLinks(p.page), LINKS).toBe(7)
    // [W32] Every link Ivy made, in a call of eight, carries 60 ms audio packets (2,880 samples each; 960 at 20 ms).
    let perPacket: number[] = []
    await expect.poll(async () => (perPacket = await samplesPerPacket(ivy.page)).length, LINKS).toBe(7)
    console.log(`[calls.eight] audio samples per packet on Ivy's links: ${perPacket.join(', ')}`)
    for (const n of perPacket) expect(n).toBeGreaterThan(1_800)

    // Six hang up; the last one left is alone, and the call is over for them too.
    const inCall = [...callers.slice(0, -1), ivy]
    for (const p of inCall.slice(0, -1)) await panel(p.page).getByRole('button', { name: 'Hang up' }).click()
    await expect.poll(() => panel(ivy.page).count(), WAIT).toBe(0)
    // How many RTCPeerConnections each page made (7 or 8 each when no link had to be made anew).
    const made = await Promise.all(people.map(async (p) => `${p.name} ${await p.page.evaluate(() => (window as unknown as { __pcs: unknown[] }).__pcs.length)}`))
    console.log(`[calls.eight] links made: ${made.join(', ')}`)
    for (const p of people) expect(unexpectedErrors(p)).toEqual([])
  })
})
