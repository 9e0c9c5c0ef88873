import type { Browser, BrowserContext, Page } from 'playwright-core'
import { smallCamera, watchPeerConnections } from '../../tests/helpers/callPages.js'

/**
 * People of bench:call in the built PWA, set up through its own screens (as tests/e2e does, without
 * a test framework): a name, a conversation, an invitation link, its acceptance. Each person is a
 * browser context whose page collects its RTCPeerConnections (`window.__pcs`) and, for the relay
 * runs, allows relayed candidates only; for the "without frame encryption" runs the page's frame
 * transforms are not attached (the bench's measuring stick; the app has no such switch); for the
 * "copy" runs each transform the app attaches is replaced by one that only gives every frame a new
 * buffer of the same bytes (what any transform that changes a frame must at least do: the floor of
 * an `RTCRtpScriptTransform` that alters frames); for the CPU runs the camera is asked for a small
 * picture.
 */
export interface BenchPerson {
  readonly name: string
  readonly context: BrowserContext
  readonly page: Page
}

export interface PersonOptions {
  readonly relayOnly?: boolean
  readonly noFrameEncryption?: boolean
  /** Frames go through a transform that copies them and does nothing else, in a worker of the bench's. */
  readonly copyTransform?: boolean
  /** The camera at 320×240, 15 frames/s (a phone on a weak link): at 640×480 four of them saturate two cores. */
  readonly smallVideo?: boolean
}

const WAIT = { timeout: 60_000 }

export async function benchPerson(browser: Browser, name: string, url: string, opts: PersonOptions = {}): Promise<BenchPerson> {
  // The copying transform's worker is made from a blob: URL, which the app's CSP (script-src 'self') refuses.
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, ...(opts.copyTransform ? { bypassCSP: true } : {}) })
  await watchPeerConnections(context, { relayOnly: !!opts.relayOnly })
  if (opts.smallVideo) await smallCamera(context)
  await context.addInitScript((o: PersonOptions) => {
    if (o.noFrameEncryption) {
      for (const proto of [RTCRtpSender.prototype, RTCRtpReceiver.prototype]) Object.defineProperty(proto, 'transform', { configurable: true, get: () => null, set: () => undefined })
    }
    if (o.copyTransform) {
      const source = `self.onrtctransform = (e) => {
        const t = e.transformer
        t.readable.pipeThrough(new TransformStream({ transform(frame, out) {
          const copy = new Uint8Array(frame.data.byteLength)
          copy.set(new Uint8Array(frame.data))
          frame.data = copy.buffer
          out.enqueue(frame)
        } })).pipeTo(t.writable)
      }`
      let worker: Worker | undefined
      for (const proto of [RTCRtpSender.prototype, RTCRtpReceiver.prototype]) {
        const own = Object.getOwnPropertyDescriptor(proto, 'transform')!
        Object.defineProperty(proto, 'transform', {
          configurable: true,
          get: own.get,
          set(this: RTCRtpSender | RTCRtpReceiver, t: unknown) {
            worker ??= new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })))
            own.set!.call(this, t ? new RTCRtpScriptTransform(worker, {}) : t)
          },
        })
      }
    }
  }, opts)
  const page = context.pages()[0] ?? (await context.newPage())
  page.on('pageerror', (err) => console.error(`${name}: ${err.message}`))
  await page.goto(url)
  return { name, context, page }
}

export async function onboard(p: BenchPerson): Promise<void> {
  await p.page.getByRole('textbox', { name: 'Display name' }).fill(p.name)
  await p.page.getByRole('button', { name: 'Continue' }).click()
  await p.page.getByRole('status', { name: 'Connection' }).waitFor(WAIT)
}

/** `admin` creates the conversation `title` and lets every one of `others` in through its own link. */
export async function conversation(admin: BenchPerson, others: readonly BenchPerson[], title: string): Promise<void> {
  await onboard(admin)
  await admin.page.getByRole('button', { name: 'New conversation' }).click()
  await admin.page.getByRole('textbox', { name: 'Conversation name' }).fill(title)
  await admin.page.getByRole('button', { name: 'Create', exact: true }).click()
  await admin.page.getByRole('heading', { name: title }).waitFor(WAIT)
  for (const p of others) {
    const invite = admin.page.getByRole('button', { name: 'Invite', exact: true })
    if ((await invite.getAttribute('aria-expanded')) !== 'true') await invite.click()
    const box = admin.page.getByRole('textbox', { name: 'Invitation link' })
    const before = (await box.count()) ? await box.inputValue() : ''
    await admin.page.getByRole('button', { name: 'Invite someone' }).click()
    let link = ''
    for (const deadline = Date.now() + WAIT.timeout; !(link.includes('#org=') && link !== before); await admin.page.waitForTimeout(100)) {
      if (Date.now() > deadline) throw new Error('no invitation link')
      link = (await box.count()) ? await box.inputValue() : ''
    }
    await p.page.goto(link)
    await onboard(p)
    await p.page.getByRole('button', { name: `Join ${title}`, exact: true }).click()
    const row = p.page.getByRole('navigation', { name: 'Conversations' }).getByRole('link', { name: title, exact: true })
    await row.waitFor(WAIT)
    await p.page.waitForFunction(() => !document.body.textContent?.includes('Asked to join the conversation'), undefined, WAIT)
    await row.click()
    await p.page.getByRole('heading', { name: title, exact: true }).waitFor(WAIT)
  }
}

/** Accepts every call that rings on `p`'s page at once (a MutationObserver clicking Accept). */
export async function autoAccept(p: BenchPerson): Promise<void> {
  await p.page.evaluate(() => {
    const accept = () => {
      const b = [...document.querySelectorAll('.incoming-call button')].find((x) => x.textContent?.trim() === 'Accept') as HTMLButtonElement | undefined
      b?.click()
    }
    new MutationObserver(accept).observe(document.body, { childList: true, subtree: true })
  })
}
