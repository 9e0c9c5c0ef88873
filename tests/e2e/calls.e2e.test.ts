import type { Browser, Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { openLinks, received, samplesPerPacket, smallCamera, watchPeerConnections } from '../helpers/callPages.js'
import { WAIT, createConversation, inviteLink, joinConversation, log, onboard, personIn, unexpectedErrors, useWorld, type Person } from './harness.js'

const members = (page: Page) => page.getByRole('list', { name: 'Members' })

/**
 * [W32][V3] Calls in the PWA, against the real server and the built PWA, in Chromium with its fake
 * camera and microphone (a test pattern and a tone). Personas: Ann calls, Bruno answers, each in
 * their own browser context. Each side's links are watched through the page's own
 * RTCPeerConnections (collected by an init script: test instrumentation, not the app's).
 */
const world = useWorld(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'])

const desk = async (browser: Browser, name: string, url: string): Promise<Person> => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, locale: 'en-GB' })
  await context.grantPermissions(['camera', 'microphone'])
  await watchPeerConnections(context)
  await smallCamera(context)
  return personIn(context, name, url)
}

/** [W33] Every sender and receiver of every open link has a frame transform (crypto [X2]). */
const allTransformed = (page: Page) =>
  page.evaluate(() =>
    (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs
      .filter((pc) => pc.connectionState !== 'closed')
      .every((pc) => pc.getSenders().every((s) => !s.track || s.transform instanceof RTCRtpScriptTransform) && pc.getReceivers().every((r) => r.transform instanceof RTCRtpScriptTransform)),
  )
/** The video codecs the open links receive with. */
const videoCodecs = (page: Page) =>
  page.evaluate(async () => {
    const found = new Set<string>()
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
      if (pc.connectionState === 'closed') continue
      const stats = await pc.getStats()
      stats.forEach((s: { type: string; kind?: string; codecId?: string }) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video' && s.codecId) found.add((stats.get(s.codecId) as { mimeType: string }).mimeType)
      })
    }
    return [...found]
  })
const panel = (page: Page) => page.getByRole('region', { name: /^Call in / })

describe('calls', () => {
  it('[W32][W33][W34][W36][V3][V5][V7] Ann video-calls Bruno: it rings, he accepts, each side decodes the other\'s video and hears audio, every frame sealed end to end; mute and camera off; hanging up ends it for both, and it is in both logs', async () => {
    const ann = await desk(world.browser, 'Ann', `${world.server.url}/`)
    const bruno = await desk(world.browser, 'Bruno', `${world.server.url}/`)
    await onboard(ann.page, 'Ann')
    await createConversation(ann.page, 'Valve 7')
    await joinConversation(bruno, await inviteLink(ann.page), 'Valve 7')

    await ann.page.getByRole('button', { name: 'Video call', exact: true }).click()
    await expect.poll(() => panel(ann.page).getByRole('timer', { name: 'Call duration' }).textContent(), WAIT).toBe('ringing…')
    const ringing = bruno.page.getByRole('alertdialog', { name: 'Video call from Ann' })
    await ringing.waitFor(WAIT)
    await expect.poll(() => ringing.textContent()).toContain('video call in Valve 7')
    await ringing.getByRole('button', { name: 'Accept' }).click()
    await expect.poll(() => ringing.count(), WAIT).toBe(0)

    // Both sides decode the other's frames and receive sound, and see each other by name.
    for (const p of [ann, bruno]) {
      await expect.poll(async () => (await received(p.page)).frames, WAIT).toBeGreaterThan(10)
      await expect.poll(async () => (await received(p.page)).energy, WAIT).toBeGreaterThan(0)
      await expect.poll(() => panel(p.page).getByRole('timer', { name: 'Call duration' }).textContent(), WAIT).toMatch(/^\d\d:\d\d$/)
    }
    // [W32] A call of two keeps Opus's 20 ms packets (960 samples each; a group call asks for 60 ms).
    for (const p of [ann, bruno]) {
      let perPacket: number[] = []
      await expect.poll(async () => (perPacket = await samplesPerPacket(p.page)).length, WAIT).toBe(1)
      expect(perPacket[0]).toBeLessThan(1_800)
    }
    // Frames decode only after their receiver's transform opened them, and a frame opens only if its
    // sender's transform sealed it (an AES-GCM tag): with a transform on every sender and receiver, what crossed was sealed.
    expect(await allTransformed(ann.page)).toBe(true)
    expect(await allTransformed(bruno.page)).toBe(true)
    // Only codecs whose packetiser leaves the sealed payload alone are offered (VP8 first).
    expect(await videoCodecs(bruno.page)).toEqual(['video/VP8'])
    await panel(ann.page).getByLabel('Video of Bruno').waitFor(WAIT)
    await panel(bruno.page).getByLabel('Video of Ann').waitFor(WAIT)
    // [W36] Each link shows its network quality (loopback: good).
    await panel(ann.page).getByRole('img', { name: 'Network: good' }).waitFor(WAIT)
    const playing = await panel(ann.page).getByLabel('Video of Bruno').evaluate((v: HTMLVideoElement) => new Promise<number>((r) => setTimeout(() => r(v.getVideoPlaybackQuality().totalVideoFrames), 1500)))
    expect(playing).toBeGreaterThan(0)

    await panel(ann.page).getByRole('button', { name: 'Mute' }).click()
    await panel(ann.page).getByRole('button', { name: 'Unmute' }).waitFor()
    await panel(ann.page).getByRole('button', { name: 'Camera off' }).click()
    await panel(ann.page).getByRole('button', { name: 'Camera on' }).waitFor()

    await panel(ann.page).getByRole('button', { name: 'Hang up' }).click()
    await expect.poll(() => panel(ann.page).count(), WAIT).toBe(0)
    await expect.poll(() => panel(bruno.page).count(), WAIT).toBe(0)
    await expect.poll(() => openLinks(bruno.page), WAIT).toBe(0)
    expect(await openLinks(ann.page)).toBe(0)
    // Nobody is left calling: the header offers a new call, and the call is in both logs ([W34]).
    await bruno.page.getByRole('button', { name: 'Video call', exact: true }).waitFor(WAIT)
    for (const p of [ann, bruno]) await expect.poll(() => log(p.page).locator('li[data-kind="system"]').allTextContents(), WAIT).toEqual([expect.stringMatching(/^📞 Video call, \d+ s: Ann, Bruno/)])
    expect(unexpectedErrors(ann)).toEqual([])
    expect(unexpectedErrors(bruno)).toEqual([])
  }, 180_000)

  it('[W32][W33][V4][V5] a four-person group call: everyone decodes everyone at 60 ms audio packets; Di is removed mid-call: every link to her closes at once, she decodes nothing more, the other three carry on; down to two, 20 ms again', async () => {
    const ann = await desk(world.browser, 'Ann', `${world.server.url}/`)
    const others = await Promise.all(['Bo', 'Cy', 'Di'].map((n) => desk(world.browser, n, `${world.server.url}/`)))
    const [bo, cy, di] = others as [Person, Person, Person]
    await onboard(ann.page, 'Ann')
    await createConversation(ann.page, 'Night shift')
    for (const p of others) await joinConversation(p, await inviteLink(ann.page), 'Night shift')

    await ann.page.getByRole('button', { name: 'Video call', exact: true }).click()
    for (const p of others) {
      const ringing = p.page.getByRole('alertdialog', { name: 'Video call from Ann' })
      await ringing.waitFor(WAIT)
      await ringing.getByRole('button', { name: 'Accept' }).click()
    }
    const everyone = [ann, bo, cy, di]
    for (const p of everyone) {
      await expect.poll(() => openLinks(p.page), WAIT).toBe(3)
      await expect.poll(() => panel(p.page).getByRole('list', { name: 'People in the call' }).getByRole('listitem').count(), WAIT).toBe(3)
    }
    // Each decodes three others: frames from every link.
    for (const p of everyone) {
      await expect.poll(async () => (await received(p.page)).decodingLinks, { ...WAIT, timeout: 60_000 }).toBe(3)
      expect(await allTransformed(p.page)).toBe(true)
    }
    // [W32] Every link carries 60 ms audio packets (2,880 samples each), also Ann's with Bo, made
    // while the call had two people: negotiated again when it grew.
    for (const p of everyone) {
      await expect.poll(async () => { const per = await samplesPerPacket(p.page); return per.length === 3 && per.every((n) => n > 1_800) }, { ...WAIT, timeout: 60_000 }).toBe(true)
    }

    // Ann removes Di from the conversation.
    // The call goes on in a small bar while she uses the app.
    await panel(ann.page).getByRole('button', { name: 'Minimise' }).click()
    await panel(ann.page).getByRole('button', { name: 'Show call' }).waitFor()
    await ann.page.getByRole('button', { name: 'Members', exact: true }).click()
    await members(ann.page).getByRole('button', { name: 'Remove Di', exact: true }).click()
    await members(ann.page).getByRole('button', { name: 'Confirm remove Di', exact: true }).click()
    // The others close their links to her as soon as their devices learn of it; her call ends.
    for (const p of [ann, bo, cy]) await expect.poll(() => openLinks(p.page), WAIT).toBe(2)
    await expect.poll(() => openLinks(di.page), WAIT).toBe(0)
    const diFrames = (await received(di.page)).frames
    // The three go on decoding each other, under the keys made after Di left ([V5]).
    const t0 = Date.now()
    for (const p of [ann, bo, cy]) {
      const before = (await received(p.page)).frames
      await expect.poll(async () => (await received(p.page)).frames, WAIT).toBeGreaterThan(before + 10)
    }
    console.log(`decoding again after the removal within ${Date.now() - t0} ms`)
    expect((await received(di.page)).frames).toBe(diFrames)
    for (const p of [ann, bo, cy]) expect(await allTransformed(p.page)).toBe(true)

    await ann.page.screenshot({ path: '/tmp/call4.png' })
    await panel(ann.page).getByRole('button', { name: 'Hang up' }).click()
    // [W32] Bo and Cy are two again: their link goes back to 20 ms packets (960 samples each).
    for (const p of [bo, cy]) {
      await expect.poll(async () => { const per = await samplesPerPacket(p.page); return per.length === 1 && per[0]! < 1_800 }, { ...WAIT, timeout: 60_000 }).toBe(true)
    }
    await panel(bo.page).getByRole('button', { name: 'Hang up' }).click()
    // Cy is left alone: the call is over for her too.
    await expect.poll(() => panel(cy.page).count(), WAIT).toBe(0)
    for (const p of everyone) expect(unexpectedErrors(p)).toEqual([])
  }, 240_000)
})
