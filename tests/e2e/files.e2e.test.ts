import { readFileSync } from 'node:fs'
import type { Page, Route } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { bytesSource } from '../../client/core/files/source.js'
import { closePersona, persona as device, until, type Persona as Device } from '../integration/helpers/clients.js'
import { canvasJpeg, minimalPe, recordWebm } from '../web/pageMedia.js'
import { concat, exifGpsSegment, gpsNeedle, indexOf } from '../web/photoFixture.js'
import {
  WAIT, createConversation, ensureServiceWorkerControls, inviteLink, joinConversation, log, onboard, person, statusText, unexpectedErrors, useWorld, type Person,
} from './harness.js'

/**
 * [W1]–[W8] Files, photos and video between Alice and Bob in two browser contexts against the
 * real server and the built PWA (issue 10, "Chromium end to end"): a photo whose EXIF GPS is gone
 * by the time Bob saves it, a video Bob watches before it has downloaded, an executable renamed
 * `.pdf` flagged on both sides, and an upload started offline that outlives a reload.
 */
const world = useWorld()
const TITLE = 'Pump station'
const MiB = 1024 * 1024
const SEALED_CHUNK = 65_536 + 16

let alice: Person
let bob: Person
const devices: Device[] = []
afterAll(async () => Promise.all(devices.map(closePersona)))

/** Alice's conversation with Bob, made once for the whole file (expect.poll needs a test around it). */
let ready: Promise<void> | undefined
const setUp = () =>
  (ready ??= (async () => {
    alice = await person(world.browser, 'Alice', `${world.server.url}/`)
    bob = await person(world.browser, 'Bob', `${world.server.url}/`)
    await onboard(alice.page, 'Alice')
    await createConversation(alice.page, TITLE)
    await joinConversation(bob, await inviteLink(alice.page), TITLE)
    // Streaming playback needs the service worker; the offline reload needs its cache.
    for (const p of [alice, bob]) await ensureServiceWorkerControls(p.page)
    for (const p of [alice, bob]) await p.page.getByRole('heading', { name: TITLE, exact: true }).waitFor()
  })())

const composer = (page: Page) => page.getByRole('textbox', { name: 'Message', exact: true })
const tray = (page: Page) => page.getByRole('list', { name: 'Files to send' })
const sendButton = (page: Page) => page.getByRole('button', { name: 'Send', exact: true })
const attach = (page: Page, files: { name: string; mimeType: string; buffer: Buffer }[]) => page.getByLabel('Attach files').setInputFiles(files)

/** Caption, then Send once every file in the tray is checked (and previewed). */
async function sendTray(page: Page, caption: string): Promise<void> {
  await composer(page).fill(caption)
  await expect.poll(() => sendButton(page).isEnabled(), WAIT).toBe(true)
  await sendButton(page).click()
  await expect.poll(() => tray(page).count(), WAIT).toBe(0)
}

/** Presses a Save button and returns the bytes the browser saved. */
async function saved(page: Page, button: string): Promise<Buffer> {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: WAIT.timeout }), log(page).getByRole('button', { name: button, exact: true }).click()])
  return readFileSync((await download.path())!)
}

describe('files, photos and video in the PWA, two people', () => {
  it('[W1][W3][W6] a photo: thumbnails at once on both sides, opened full size; what Bob saves holds no EXIF and no GPS', async () => {
    await setUp()
    const plain = await canvasJpeg(alice.page, 640, 480)
    const withGps = Buffer.from(concat([plain.subarray(0, 2), exifGpsSegment(), plain.subarray(2)]))
    expect(indexOf(withGps, gpsNeedle())).toBeGreaterThan(0)

    await attach(alice.page, [
      { name: 'valve-hd.jpg', mimeType: 'image/jpeg', buffer: withGps },
      { name: 'valve-standard.jpg', mimeType: 'image/jpeg', buffer: withGps },
    ])
    await tray(alice.page).getByRole('img', { name: 'Preview of valve-hd.jpg' }).waitFor(WAIT)
    const hd = tray(alice.page).getByRole('listitem', { name: 'valve-hd.jpg' })
    // Location and camera data go unless the sender keeps them deliberately; Standard is the default.
    expect(await hd.getByRole('checkbox', { name: 'Keep location and camera data' }).isChecked()).toBe(false)
    expect(await tray(alice.page).getByRole('listitem', { name: 'valve-standard.jpg' }).getByRole('radio', { name: 'Standard' }).isChecked()).toBe(true)
    await hd.getByRole('radio', { name: 'HD' }).check()
    await sendTray(alice.page, 'Valve 7 after the repair')

    // Thumbnails at once, from inside the message: nothing is downloaded for them.
    for (const p of [alice, bob]) {
      for (const name of ['valve-hd.jpg', 'valve-standard.jpg']) {
        const thumb = log(p.page).getByRole('img', { name: `Photo ${name}`, exact: true })
        await thumb.waitFor(WAIT)
        expect(await thumb.getAttribute('src')).toMatch(/^data:image\/jpeg;base64,/)
        await expect.poll(() => thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), WAIT).toBeGreaterThan(0)
        const thumbBytes = Buffer.from((await thumb.getAttribute('src'))!.split(',')[1]!, 'base64')
        expect(indexOf(thumbBytes, 'Exif')).toBe(-1)
      }
    }
    expect(await log(bob.page).getByRole('progressbar').count()).toBe(0)
    await expect.poll(() => log(bob.page).getByTestId('message-text').allTextContents(), WAIT).toContain('Valve 7 after the repair')

    // Bob opens both full size, then saves them.
    for (const name of ['valve-hd.jpg', 'valve-standard.jpg']) {
      await log(bob.page).getByRole('button', { name: `Open ${name}`, exact: true }).click()
      const full = log(bob.page).getByRole('img', { name: `Photo ${name}, full size`, exact: true })
      await full.waitFor(WAIT)
      await expect.poll(() => full.evaluate((img: HTMLImageElement) => img.naturalWidth), WAIT).toBe(640)
    }
    const hdBytes = await saved(bob.page, 'Save valve-hd.jpg')
    const standardBytes = await saved(bob.page, 'Save valve-standard.jpg')
    // HD: the original pixels byte for byte, only the EXIF segment gone. Standard: re-encoded.
    expect(hdBytes.equals(plain)).toBe(true)
    for (const bytes of [hdBytes, standardBytes]) {
      expect([...bytes.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff])
      expect(indexOf(bytes, 'Exif')).toBe(-1)
      expect(indexOf(bytes, gpsNeedle())).toBe(-1)
      expect(indexOf(bytes, 'FieldCam')).toBe(-1)
    }
    expect(standardBytes.equals(plain)).toBe(false)
  }, 300_000)

  it('[W7] a video plays in the app before its download ends (streamed by range through the service worker)', async () => {
    await setUp()
    const webm = await recordWebm(alice.page, 6, 8_000_000)
    expect(webm.length).toBeGreaterThan(2.5 * MiB)
    await attach(alice.page, [{ name: 'pump.webm', mimeType: 'video/webm', buffer: webm }])
    await sendTray(alice.page, 'Pump 3 running')
    await log(bob.page).getByText('Pump 3 running', { exact: true }).waitFor(WAIT)

    // Bob's reads of the blob. The checks read first (the head and the trailer, one chunk each);
    // then the playback reads window after window from the start. Its read of the file's final
    // chunk waits here until the video is playing.
    const lastChunk = (Math.ceil(webm.length / 65_536) - 1) * SEALED_CHUNK
    const windows = Math.ceil(webm.length / MiB)
    const held: Route[] = []
    const reads: string[] = []
    let playback = false
    let release = false
    let lastRead = false
    await bob.context.route('**/v1/blobs/*/data', async (route) => {
      const m = /^bytes=(\d+)-(\d+)$/.exec(route.request().headers()['range'] ?? '')
      const [from, to] = m ? [Number(m[1]), Number(m[2]) + 1] : [0, Infinity]
      reads.push(`${from}-${to}`)
      if (from === 0 && to - from > SEALED_CHUNK) playback = true
      const last = playback && to > lastChunk
      if (last && !release) return void held.push(route)
      if (last) lastRead = true
      await route.continue()
    })
    await bob.page.evaluate(() => {
      const w = window as unknown as { playing: number }
      w.playing = 0
      document.addEventListener('playing', () => void w.playing++, true)
    })
    try {
      await log(bob.page).getByRole('button', { name: 'Play pump.webm', exact: true }).click()
      const video = log(bob.page).getByLabel('Video pump.webm', { exact: true })
      await video.waitFor(WAIT)
      expect(await video.getAttribute('src')).toMatch(/^\/files\/stream\/[A-Za-z0-9_-]+$/)
      await bob.page.waitForFunction(() => (window as unknown as { playing: number }).playing > 0, undefined, { timeout: WAIT.timeout })
      // Playing, and the end of the file not read yet: the download had not ended.
      expect(lastRead).toBe(false)
      expect(playback).toBe(true)
      const windowsRead = reads.filter((r) => Number(r.split('-')[1]) - Number(r.split('-')[0]) > SEALED_CHUNK).length
      expect(windowsRead, `reads so far: ${reads.join(', ')}`).toBeLessThan(windows)
      expect(await video.evaluate((v: HTMLVideoElement) => !v.paused)).toBe(true)
    } finally {
      release = true
      await Promise.all(held.map((r) => r.continue().catch(() => undefined)))
      if (held.length) lastRead = true
    }
    // It goes on streaming, to the end of the file.
    await expect.poll(() => lastRead, { ...WAIT, timeout: 60_000 }).toBe(true)
    await bob.context.unroute('**/v1/blobs/*/data')
  }, 300_000)

  it('[W8] an .exe renamed .pdf is blocked before sending and before opening; a plain .exe needs "Send anyway" and "Save anyway"', async () => {
    await setUp()
    const pe = minimalPe()
    // Sender side: blocked with its reason, never sent.
    await attach(alice.page, [{ name: 'invoice.pdf', mimeType: 'application/pdf', buffer: pe }])
    const item = tray(alice.page).getByRole('listitem', { name: 'invoice.pdf' })
    await expect.poll(async () => (await item.getByRole('alert').count()) ? item.getByRole('alert').textContent() : '', WAIT).toMatch(/Blocked, not sent: .*executable disguised as PDF/)
    expect(await sendButton(alice.page).isEnabled()).toBe(false)
    await item.getByRole('button', { name: 'Remove invoice.pdf' }).click()
    expect(await tray(alice.page).count()).toBe(0)

    // A warned file goes only after the deliberate second step, on both sides.
    await attach(alice.page, [{ name: 'setup.exe', mimeType: 'application/x-msdownload', buffer: pe }])
    const setup = tray(alice.page).getByRole('listitem', { name: 'setup.exe' })
    await setup.getByRole('button', { name: 'Send anyway' }).waitFor(WAIT)
    expect(await setup.getByRole('alert').textContent()).toMatch(/Warning: .*executable/)
    await composer(alice.page).fill('The installer')
    expect(await sendButton(alice.page).isEnabled()).toBe(false)
    await setup.getByRole('button', { name: 'Send anyway' }).click()
    await sendTray(alice.page, 'The installer')
    await log(bob.page).getByRole('button', { name: 'Save setup.exe', exact: true }).click()
    const anyway = log(bob.page).getByRole('button', { name: 'Save anyway setup.exe', exact: true })
    await anyway.waitFor(WAIT)
    const [download] = await Promise.all([bob.page.waitForEvent('download', { timeout: WAIT.timeout }), anyway.click()])
    expect(readFileSync((await download.path())!).equals(pe)).toBe(true)

    // Receiver side: a device that does not check (an old or hostile app) sends the disguised file.
    const link = await inviteLink(alice.page)
    const mallory = await device('Mallory', world.server.url.replace('http', 'ws') + '/sync')
    devices.push(mallory)
    mallory.messenger.start()
    const { org: conv } = await mallory.messenger.join(link)
    await until(() => mallory.messenger.team.isMember(conv) && !mallory.messenger.waitingForKey(conv), 'Mallory is let in', 60_000)
    await mallory.messenger.openConversation(conv)
    // Mallory's app does not check what it sends (an old version, or a modified one): switching
    // off her engine's sending-side check ([A2]) is what such an app amounts to.
    const uploads = (mallory.messenger as unknown as { p: { files: { uploads: { deps: { check?: unknown } } } } }).p.files.uploads
    uploads.deps.check = undefined
    await mallory.messenger.sendFiles(conv, [{ source: bytesSource(pe), name: 'invoice.pdf', type: 'application/pdf' }], 'Invoice attached')
    await until(() => mallory.messenger.uploads(conv).length === 0, 'the upload is done', 60_000)

    await log(bob.page).getByRole('button', { name: 'Save invoice.pdf', exact: true }).click({ timeout: WAIT.timeout })
    const blocked = log(bob.page).getByRole('alert').filter({ hasText: 'Blocked, not opened' })
    await blocked.waitFor(WAIT)
    expect(await blocked.textContent()).toMatch(/executable disguised as PDF/)
    expect(await log(bob.page).getByRole('button', { name: /anyway invoice\.pdf/ }).count()).toBe(0)
  }, 300_000)

  it('[W8] files dropped on the conversation or pasted into the box join the tray; the camera button opens the camera', async () => {
    await setUp()
    const page = alice.page
    await page.evaluate(() => {
      const files = (name: string) => {
        const dt = new DataTransfer()
        dt.items.add(new File([`notes from ${name}`], name, { type: 'text/plain' }))
        return dt
      }
      const section = document.querySelector('section.conversation')!
      section.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: files('dropped.txt') }))
      section.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: files('dropped.txt') }))
      const box = document.querySelector('textarea#composer-text')!
      box.dispatchEvent(new ClipboardEvent('paste', { bubbles: true, cancelable: true, clipboardData: files('pasted.txt') }))
    })
    for (const name of ['dropped.txt', 'pasted.txt']) await tray(page).getByRole('listitem', { name }).waitFor(WAIT)
    expect(await page.getByLabel('Take a photo or video').getAttribute('capture')).toBe('environment')
    expect(await page.getByLabel('Take a photo or video').getAttribute('accept')).toBe('image/*,video/*')
    expect(await page.getByLabel('Attach files').getAttribute('multiple')).not.toBeNull()
    for (const name of ['dropped.txt', 'pasted.txt']) await tray(page).getByRole('button', { name: `Remove ${name}` }).click()
    await expect.poll(() => tray(page).count(), WAIT).toBe(0)
  }, 300_000)

  it('[W5][W8] an upload started offline waits, survives a reload, and completes once online; Bob receives it', async () => {
    await setUp()
    const notes = Buffer.from(Array.from({ length: 12_000 }, (_, i) => `line ${i}: torque 45 Nm checked\n`).join(''))
    await alice.context.setOffline(true)
    await expect.poll(() => statusText(alice.page), WAIT).toContain('Offline')
    await attach(alice.page, [{ name: 'checklist.txt', mimeType: 'text/plain', buffer: notes }])
    await sendTray(alice.page, 'Checklist, offline')
    const row = () => alice.page.getByRole('list', { name: 'Uploads' }).getByRole('listitem', { name: 'Upload checklist.txt' })
    await expect.poll(async () => ((await row().count()) ? row().textContent() : ''), WAIT).toContain('Waiting for network')
    expect(await row().getByRole('progressbar', { name: 'Upload of checklist.txt' }).getAttribute('aria-valuenow')).toBe('0')

    await alice.page.reload()
    await expect.poll(async () => ((await row().count()) ? row().textContent() : ''), WAIT).toContain('Waiting for network')
    await expect.poll(() => statusText(alice.page), WAIT).toMatch(/Offline.*pending/)

    await alice.context.setOffline(false)
    await expect.poll(() => row().count(), WAIT).toBe(0)
    await log(alice.page).getByText('checklist.txt').first().waitFor(WAIT)
    expect(await saved(bob.page, 'Save checklist.txt').then((b) => b.equals(notes))).toBe(true)
    await expect.poll(() => statusText(alice.page), WAIT).toBe('Online')

    const errors = [...unexpectedErrors(alice), ...unexpectedErrors(bob)].filter((e) => !/Failed to load resource|net::ERR_/.test(e))
    expect(errors).toEqual([])
  }, 300_000)
})
