import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { received, smallCamera, watchPeerConnections } from '../helpers/callPages.js'
import { describeWithCoturn, startCoturn, type Coturn } from '../helpers/coturn.js'
import { WAIT, assertBuilt, createConversation, inviteLink, joinConversation, launchBrowser, onboard, personIn, startServer, unexpectedErrors, type Person, type RunningServer } from './harness.js'

/**
 * [W32][W33][S55] A call through a real coturn (Debian's, as the README runs it beside the server):
 * both browsers are limited to relayed candidates (as behind a firewall that lets no direct UDP
 * through: an init script sets `iceTransportPolicy: 'relay'` on the page's RTCPeerConnections,
 * test instrumentation). The relay then freezes for 10 s (the network gone) and comes back: the
 * call says "reconnecting…" and carries on by ICE restart.
 */
const SECRET = 'field-depot-turn-secret-calls'
let coturn: Coturn
let server: RunningServer
let browser: Browser

const desk = async (name: string): Promise<Person> => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, locale: 'en-GB' })
  await watchPeerConnections(context, { relayOnly: true })
  await smallCamera(context)
  return personIn(context, name, `${server.url}/`)
}

const framesDecoded = async (page: Page) => (await received(page)).frames
/** The candidate types of the open links' selected pairs (local side). */
const pathTypes = (page: Page) =>
  page.evaluate(async () => {
    const types: string[] = []
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
      if (pc.connectionState === 'closed') continue
      const stats = await pc.getStats()
      stats.forEach((s: { type: string; selectedCandidatePairId?: string }) => {
        if (s.type !== 'transport' || !s.selectedCandidatePairId) return
        const pair = stats.get(s.selectedCandidatePairId) as { localCandidateId: string }
        types.push((stats.get(pair.localCandidateId) as { candidateType: string }).candidateType)
      })
    }
    return types
  })
const panel = (page: Page) => page.getByRole('region', { name: /^Call in / })

describeWithCoturn('[W32] a call through TURN', () => {
  beforeAll(async () => {
    assertBuilt()
    coturn = await startCoturn(SECRET)
    ;[server, browser] = await Promise.all([startServer({ TURN_URL: coturn.url, TURN_SECRET: SECRET }), launchBrowser(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'])])
  }, 90_000)
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    await coturn?.stop()
  })

  it('[W32][W33][S55] relayed only: both sides decode each other through coturn; the relay lost for 10 s shows "reconnecting…", and the call carries on when it is back', async () => {
    const ann = await desk('Ann')
    const bruno = await desk('Bruno')
    await onboard(ann.page, 'Ann')
    await createConversation(ann.page, 'Pump house')
    await joinConversation(bruno, await inviteLink(ann.page), 'Pump house')
    await ann.page.getByRole('button', { name: 'Video call', exact: true }).click()
    const ringing = bruno.page.getByRole('alertdialog', { name: 'Video call from Ann' })
    await ringing.waitFor(WAIT)
    await ringing.getByRole('button', { name: 'Accept' }).click()
    for (const p of [ann, bruno]) {
      await expect.poll(() => framesDecoded(p.page), WAIT).toBeGreaterThan(10)
      expect(await pathTypes(p.page)).toEqual(['relay'])
    }

    coturn.pause()
    await expect.poll(() => panel(ann.page).getByText('reconnecting…').count(), { ...WAIT, timeout: 40_000 }).toBe(1)
    const stalled = await framesDecoded(bruno.page)
    await ann.page.waitForTimeout(10_000)
    coturn.resume()
    for (const p of [ann, bruno]) await expect.poll(() => panel(p.page).getByText('reconnecting…').count(), { ...WAIT, timeout: 60_000 }).toBe(0)
    await expect.poll(() => framesDecoded(bruno.page), WAIT).toBeGreaterThan(stalled + 10)
    expect(await pathTypes(ann.page)).toEqual(['relay'])

    await panel(ann.page).getByRole('button', { name: 'Hang up' }).click()
    await expect.poll(() => panel(bruno.page).count(), WAIT).toBe(0)
    expect(unexpectedErrors(ann)).toEqual([])
    expect(unexpectedErrors(bruno)).toEqual([])
  }, 180_000)
})
