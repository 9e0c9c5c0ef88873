import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core'
import { afterAll, beforeAll, expect } from 'vitest'

/**
 * End-to-end harness: the real sync server as a child process serving the built PWA (dist/),
 * and Debian's Chromium via playwright-core, one browser context per persona.
 * The tests assume `npm run build` ran (npm test does it first).
 */
const ROOT = resolve(import.meta.dirname, '../..')
const DIST = join(ROOT, 'dist')

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Generous: two browsers, the server and the rest of the suite share two cores. */
export const WAIT = { timeout: 30_000, interval: 100 }

export function assertBuilt(): void {
  if (!existsSync(join(DIST, 'index.html')) || !existsSync(join(DIST, 'sw.js'))) {
    throw new Error('dist/index.html or dist/sw.js is missing: build the PWA first with `npm run build` (`npm test` does it).')
  }
}

export { freePort } from '../integration/helpers/serverProcess.js'
import { freePort } from '../integration/helpers/serverProcess.js'

export interface RunningServer {
  readonly url: string
  stop(): Promise<void>
}

export async function startServer(env: Record<string, string> = {}): Promise<RunningServer> {
  const port = await freePort()
  const data = mkdtempSync(join(tmpdir(), 'fieldchat-e2e-'))
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', 'sync-server/main.ts', '--port', String(port), '--data', data, '--static', DIST],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', ...env } },
  )
  let output = ''
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000))
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    }
    rmSync(data, { recursive: true, force: true })
  }
  const url = `http://localhost:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) {
      await stop()
      throw new Error(`sync server exited with ${child.exitCode}:\n${output}`)
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`)
      if (res.ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`sync server did not answer /healthz within 30 s:\n${output}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return { url, stop }
}

export function launchBrowser(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: [...CHROMIUM_ARGS, ...extraArgs] })
}

/** One person = one browser context (own IndexedDB, service worker, network switch). */
export interface Person {
  readonly name: string
  readonly context: BrowserContext
  readonly page: Page
  /** Uncaught exceptions and console errors seen so far, for the final "no errors" check. */
  readonly errors: string[]
}

export async function person(browser: Browser, name: string, url: string): Promise<Person> {
  return personIn(await browser.newContext({ viewport: { width: 360, height: 740 } }), name, url)
}

/** A person in a context made elsewhere (a persistent profile on disk, for example), errors watched. */
export async function personIn(context: BrowserContext, name: string, url: string): Promise<Person> {
  // The server's CSP forbids eval; a caught `new Function` probe only shows up as this event.
  await context.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`)),
  )
  const page = context.pages()[0] ?? (await context.newPage())
  const errors: string[] = []
  page.on('pageerror', (err) => errors.push(`${name} pageerror: ${err.message}`))
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`${name} console: ${msg.text()}`)
  })
  await page.goto(url)
  return { name, context, page, errors }
}

export const log = (page: Page): Locator => page.getByRole('log', { name: 'Messages' })
export const status = (page: Page): Locator => page.getByRole('status', { name: 'Connection' })

export async function messageTexts(page: Page): Promise<string[]> {
  return log(page).getByTestId('message-text').allTextContents()
}

export async function statusText(page: Page): Promise<string> {
  return (await status(page).textContent()) ?? ''
}

export async function onboard(page: Page, name: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Display name' }).fill(name)
  await page.getByRole('button', { name: 'Continue' }).click()
  await status(page).waitFor()
}

export async function createConversation(page: Page, title: string): Promise<void> {
  await page.getByRole('button', { name: 'New conversation' }).click()
  await page.getByRole('textbox', { name: 'Conversation name' }).fill(title)
  await page.getByRole('button', { name: 'Create', exact: true }).click()
  await page.getByRole('heading', { name: title }).waitFor()
}

/** Types and presses Enter, then waits until the message is on screen. */
export async function send(page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: 'Message', exact: true })
  await box.fill(text)
  await box.press('Enter')
  await log(page).getByText(text, { exact: true }).waitFor()
  await expect.poll(() => box.inputValue(), WAIT).toBe('')
}

/**
 * [T12] In an open conversation (its admin): opens "Invite" if it is closed, presses "Invite
 * someone", and returns the new one-time `#org=` link. Each call makes a new link: one per person.
 */
export async function inviteLink(page: Page): Promise<string> {
  const invite = page.getByRole('button', { name: 'Invite', exact: true })
  if ((await invite.getAttribute('aria-expanded')) !== 'true') await invite.click()
  return freshLink(page, 'Invite someone', 'Invitation link')
}

/** Presses `button` and waits until the `field` shows a new `#org=` link, which it returns. */
export async function freshLink(page: Page, button: string, field: string): Promise<string> {
  const box = page.getByRole('textbox', { name: field })
  const before = (await box.count()) ? await box.inputValue() : ''
  await page.getByRole('button', { name: button }).click()
  await expect.poll(async () => ((await box.count()) ? box.inputValue() : ''), WAIT).toMatch(/#org=/)
  await expect.poll(() => box.inputValue(), WAIT).not.toBe(before)
  return box.inputValue()
}

/** The line that says `p` asked to join `name` and waits for an admin's device. */
export const waitingToJoin = (page: Page, name: string): Locator =>
  page.getByRole('list', { name: 'Waiting to join' }).getByText(`Asked to join the conversation ${name}`)

/** On a narrow screen, back from an open conversation to the lists (where the settings lines are, [W13]). */
export async function toLists(page: Page): Promise<void> {
  // By the route, not by what is drawn yet: right after an unlock the conversation may still be rendering.
  if (!/#(c|o)=/.test(page.url())) return
  // Under load a click can land before the link's handler is there: pressed again until the route changed.
  for (let tries = 0; ; tries++) {
    await page.getByRole('link', { name: 'Back to conversations' }).first().click({ timeout: WAIT.timeout })
    const left = await page.waitForFunction(() => !/#(c|o)=/.test(location.hash), undefined, { timeout: 5_000 }).then(() => true, () => false)
    if (left || tries >= 3) break
  }
  await page.locator('.sidebar').first().waitFor({ state: 'visible', timeout: WAIT.timeout })
}

/**
 * From the lists (going back to them first on a narrow screen), opens the conversation `title`;
 * an organisation's own conversation through its page ([W9]: it is listed once, under Organisations).
 */
export async function openConversation(page: Page, title: string): Promise<void> {
  await toLists(page)
  const inList = page.getByRole('navigation', { name: 'Conversations' }).getByRole('link', { name: title, exact: true })
  const org = page.getByRole('navigation', { name: 'Organisations' }).getByRole('link', { name: title, exact: true })
  await expect.poll(async () => (await inList.count()) + (await org.count()), WAIT).toBeGreaterThan(0)
  if (await inList.count()) await inList.click({ timeout: WAIT.timeout })
  else {
    await org.click({ timeout: WAIT.timeout })
    await page.getByRole('link', { name: 'Open conversation' }).click({ timeout: WAIT.timeout })
  }
  await page.getByRole('heading', { name: title, exact: true }).waitFor()
}

/**
 * Opens a conversation's invitation link in `p`'s browser, chooses a name if needed, answers
 * "Join <title>", and waits — visibly "waiting for an admin" — until an admin's device (open
 * and online) lets `p` in and the conversation appears; then opens it.
 */
export async function joinConversation(p: Person, link: string, title: string): Promise<void> {
  await p.page.goto(link)
  const name = p.page.getByRole('textbox', { name: 'Display name' })
  const join = p.page.getByRole('button', { name: `Join ${title}`, exact: true })
  await expect.poll(async () => (await name.count()) + (await join.count()), WAIT).toBeGreaterThan(0)
  if (await name.count()) {
    await p.page.getByText(`You were invited to the conversation ${title}.`).waitFor()
    await onboard(p.page, p.name)
  }
  await p.page.getByRole('heading', { name: `Join ${title}?` }).waitFor()
  await p.page.getByText(`You were invited to the conversation ${title}.`, { exact: false }).waitFor()
  await join.click()
  // The link holds the invitation secret: it leaves the address bar once answered.
  await p.page.getByRole('navigation', { name: 'Conversations' }).waitFor()
  expect(await p.page.evaluate(() => location.hash)).not.toContain('org=')
  await p.page
    .getByRole('navigation', { name: 'Conversations' })
    .getByRole('link', { name: title, exact: true })
    .waitFor({ timeout: WAIT.timeout })
  await expect.poll(() => waitingToJoin(p.page, title).count(), WAIT).toBe(0)
  await openConversation(p.page, title)
}

/**
 * Makes sure the service worker controls the page, so a reload without network is served from
 * its cache: wait until it is active, then reload once (online) and wait for the controller.
 */
export async function ensureServiceWorkerControls(page: Page): Promise<void> {
  const active = await page.evaluate(
    (ms) => Promise.race([navigator.serviceWorker.ready.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]),
    WAIT.timeout,
  )
  if (!active) throw new Error('the service worker never became active: is it registered (production build)?')
  await page.reload()
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: WAIT.timeout })
}

/** Reads one record of the app's IndexedDB, as base64, to prove it was not rewritten. */
/**
 * The records of one namespace (a key's first part: `identity`, `conv`, …) as the app's IndexedDB
 * holds them — sealed, under hidden keys ([M28]) — in base64, in stored key order; to check that
 * something left them untouched.
 */
export async function storedRecords(page: Page, namespace: string): Promise<string[]> {
  return page.evaluate(
    (ns) =>
      new Promise<string[]>((ok, fail) => {
        const open = indexedDB.open('fieldchat')
        open.onerror = () => fail(open.error)
        open.onsuccess = () => {
          const db = open.result
          const all = db.transaction('kv').objectStore('kv').getAll(IDBKeyRange.bound([ns], [ns, []]))
          all.onerror = () => fail(all.error)
          all.onsuccess = () => {
            db.close()
            ok((all.result as unknown[]).flatMap((v) => (v instanceof Uint8Array ? [btoa(String.fromCharCode(...v))] : [])))
          }
        }
      }),
    namespace,
  )
}

/** Every message `name` can see, once no "Pending" marker is left. */
export async function settledTexts(p: Person): Promise<string[]> {
  await expect.poll(() => log(p.page).getByLabel('Pending', { exact: true }).count(), WAIT).toBe(0)
  return messageTexts(p.page)
}

/** Console noise that is expected when the test itself cuts the network. */
export function unexpectedErrors(p: Person): string[] {
  return p.errors.filter((e) => !/ERR_INTERNET_DISCONNECTED/.test(e))
}

/**
 * One real server process and one Chromium per test file: started before the file's tests
 * (failing clearly when dist/ is not built), closed after them.
 */
/** `args`: Chromium flags beyond CHROMIUM_ARGS (a fake camera for calls, for example). */
export function useWorld(args: readonly string[] = []): { readonly server: RunningServer; readonly browser: Browser } {
  let server: RunningServer | undefined
  let browser: Browser | undefined
  beforeAll(async () => {
    assertBuilt()
    server = await startServer()
    browser = await launchBrowser(args)
  }, 90_000)
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })
  return {
    get server() {
      return server!
    },
    get browser() {
      return browser!
    },
  }
}
