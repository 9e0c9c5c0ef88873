import type { Browser } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { failFirstNegotiation, killLinks, linkStates, liveLinks, watchPeerConnections } from '../helpers/callPages.js'
import { WAIT, createConversation, inviteLink, joinConversation, onboard, personIn, unexpectedErrors, useWorld, type Person } from './harness.js'

/**
 * [W32][V1] Links that come back by themselves. Signals are never queued and either side of a
 * link can fail without the other knowing; the call must not stay silent. Both pages here are
 * hostile to their own first negotiation (the first SDP each browser is handed is refused), then
 * each side in turn has its link closed behind the app's back. Who offers depends on the device
 * ids, so each side is, across the test, both the one that failed and the one that did not know.
 */
const world = useWorld(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'])

const desk = async (browser: Browser, name: string, url: string): Promise<Person> => {
  const context = await browser.newContext({ viewport: { width: 1000, height: 760 }, locale: 'en-GB' })
  await context.grantPermissions(['camera', 'microphone'])
  await watchPeerConnections(context)
  await failFirstNegotiation(context)
  return personIn(context, name, url)
}

/** Both hear each other now, over one live link each; on failure, every link's state. */
async function bothHear(people: readonly Person[]): Promise<void> {
  for (const p of people) {
    await expect
      .poll(() => liveLinks(p.page), { ...WAIT, timeout: 60_000 })
      .toBe(1)
      .catch(async (err: Error) => {
        const states = await Promise.all(people.map(async (q) => `${q.name}'s links:\n${await linkStates(q.page)}`))
        throw new Error(`${p.name}: ${err.message}\n${states.join('\n')}`)
      })
  }
}

describe('calls', () => {
  it('[W32][V1] a first negotiation refused on both sides, then a link closed on one side without the other knowing: each time the link is made anew and both hear each other again', async () => {
    const ann = await desk(world.browser, 'Ann', `${world.server.url}/`)
    const bo = await desk(world.browser, 'Bo', `${world.server.url}/`)
    await onboard(ann.page, 'Ann')
    await createConversation(ann.page, 'Pump room')
    await joinConversation(bo, await inviteLink(ann.page), 'Pump room')

    await ann.page.getByRole('button', { name: 'Voice call', exact: true }).click()
    const ringing = bo.page.getByRole('alertdialog', { name: 'Voice call from Ann' })
    await ringing.waitFor(WAIT)
    await ringing.getByRole('button', { name: 'Accept' }).click()
    // The first SDP each browser was handed was refused: the answerer asked again, the offerer made its link anew.
    await bothHear([ann, bo])

    for (const side of [ann, bo]) {
      await killLinks(side.page)
      await bothHear([ann, bo])
    }
    for (const p of [ann, bo]) expect(unexpectedErrors(p)).toEqual([])
  }, 240_000)
})
