import { describe, expect, it } from 'vitest'
import type { BrowserContext, Page } from 'playwright-core'
import { WAIT, createConversation, inviteLink, joinConversation, messageTexts, onboard, openConversation, person, personIn, send, settledTexts, statusText, unexpectedErrors, useWorld } from './harness.js'
import { closeNotifications, notificationsOf, pushDoor } from './pushWake.js'

/**
 * [M60][M61] A background notification in Chromium, against the real server and the built PWA:
 * Bob has turned notifications on (permission granted to the origin, asked on his press) and is
 * not looking at the conversation; a message from Admin shows a system notification through the
 * service worker's registration, with the text or without it as Bob chose. Observed by wrapping
 * `showNotification` (headless Chromium shows nothing on a screen).
 */
const world = useWorld()

interface Shown { title: string; body: string; tag: string; conv: string }
const shown = (p: { page: import('playwright-core').Page }) => p.page.evaluate(() => (window as unknown as { __shown?: Shown[] }).__shown ?? [])

describe('notifications', () => {
  it('[M60][M61][W35] a message from another device shows a notification with its content, or only the sender, as the person chose; a call ringing in a hidden tab too', async () => {
    const admin = await person(world.browser, 'Admin', `${world.server.url}/`)
    const bobContext = await world.browser.newContext({ viewport: { width: 360, height: 740 } })
    await bobContext.grantPermissions(['notifications'], { origin: world.server.url })
    await bobContext.addInitScript(() => {
      const w = window as unknown as { __shown: Shown[]; __asked: number }
      w.__shown = []
      w.__asked = 0
      const ask = Notification.requestPermission.bind(Notification)
      Notification.requestPermission = () => (w.__asked++, ask())
      const original = ServiceWorkerRegistration.prototype.showNotification
      ServiceWorkerRegistration.prototype.showNotification = function (title: string, options?: NotificationOptions) {
        w.__shown.push({ title, body: options?.body ?? '', tag: options?.tag ?? '', conv: String((options?.data as { conv?: string } | undefined)?.conv ?? '') })
        return original.call(this, title, options).catch(() => undefined)
      }
    })
    const { personIn } = await import('./harness.js')
    const bob = await personIn(bobContext, 'Bob', `${world.server.url}/`)

    await onboard(admin.page, 'Admin')
    await createConversation(admin.page, 'Night shift')
    await joinConversation(bob, await inviteLink(admin.page), 'Night shift')
    // The permission is asked only on Bob's press, never on load; then the choice of content appears.
    expect(await bob.page.evaluate(() => (window as unknown as { __asked: number }).__asked)).toBe(0)
    // Bob looks at the list, not the conversation (the settings lines are there, [W13]).
    await bob.page.getByRole('link', { name: 'Back to conversations' }).click()
    await bob.page.locator('summary', { hasText: 'Notifications: off' }).click()
    await bob.page.getByRole('button', { name: 'Turn on notifications' }).click()
    expect(await bob.page.evaluate(() => (window as unknown as { __asked: number }).__asked)).toBe(1)
    const choice = bob.page.getByRole('combobox', { name: /Show in notifications/ })
    await choice.waitFor({ timeout: WAIT.timeout })
    // The service worker is active.
    await bob.page.waitForFunction(() => navigator.serviceWorker.ready.then(() => true), undefined, { timeout: WAIT.timeout })

    await send(admin.page, 'the pump is fixed')
    await expect.poll(() => shown(bob).then((s) => s.length), WAIT).toBeGreaterThan(0)
    const first = (await shown(bob)).at(-1)!
    expect(first).toMatchObject({ title: 'Night shift', body: 'Admin: the pump is fixed' })
    expect(first.tag).toBe(`conv:${first.conv}`)

    // Name only: the text stays out of the notification.
    await choice.selectOption('sender')
    const before = (await shown(bob)).length
    await send(admin.page, 'the code is 4711')
    await expect.poll(() => shown(bob).then((s) => s.length), WAIT).toBeGreaterThan(before)
    const second = (await shown(bob)).at(-1)!
    expect(second.title).toBe('Night shift')
    expect(second.body).toMatch(/^New message from Admin/)
    expect(second.body).not.toContain('4711')

    // [W35] A call rings while Bob's tab is hidden: a notification says who calls (by the same choice).
    await bob.page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' })
      document.dispatchEvent(new Event('visibilitychange'))
    })
    const beforeCall = (await shown(bob)).length
    await admin.page.getByRole('button', { name: 'Voice call', exact: true }).click()
    await expect.poll(() => shown(bob).then((s) => s.length), WAIT).toBeGreaterThan(beforeCall)
    const ring = (await shown(bob)).at(-1)!
    expect(ring).toMatchObject({ title: 'Night shift', body: 'Admin is calling: voice call' })
    expect(ring.tag).toBe(`call:${ring.conv}`)
    await admin.page.getByRole('region', { name: /^Call in / }).getByRole('button', { name: 'Hang up' }).click()
    await bob.page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' })
      document.dispatchEvent(new Event('visibilitychange'))
    })

    // Nothing: no name, no conversation.
    await choice.selectOption('none')
    const again = (await shown(bob)).length
    await send(admin.page, 'see you at six')
    await expect.poll(() => shown(bob).then((s) => s.length), WAIT).toBeGreaterThan(again)
    const third = (await shown(bob)).at(-1)!
    expect(third.title).toBe('FieldChat')
    expect(third.body).toMatch(/^(New message|\d+ new messages)$/)

    // Admin's own messages never notified Admin's device.
    expect(await shown(admin)).toEqual([])
    expect([...unexpectedErrors(admin), ...unexpectedErrors(bob)]).toEqual([])
  }, 180_000)

  it('[M62] with every window closed, a push wake syncs in the service worker and shows the notification the page would, by the content choice; app-locked: the generic notice; the lock is released and nothing is shown twice', async () => {
    const origin = world.server.url
    // What a page of Bob's shows by itself (the service worker's own notifications are read with getNotifications).
    const { admin, bob, bobContext, door } = await nightShift(origin, (context) => context.addInitScript(() => {
      const w = window as unknown as { __shown: Shown[] }
      w.__shown = []
      const original = ServiceWorkerRegistration.prototype.showNotification
      ServiceWorkerRegistration.prototype.showNotification = function (title: string, options?: NotificationOptions) {
        w.__shown.push({ title, body: options?.body ?? '', tag: options?.tag ?? '', conv: '' })
        return original.call(this, title, options)
      }
    }))

    /** Bob closes every window of the app; Admin sends `text`; the push arrives; the wake's notifications. */
    const wakeWithAppClosed = async (page: Page, text: string) => {
      await page.close()
      await send(admin.page, text)
      await settledTexts(admin) // acknowledged by the server: the moment the real server pushes
      await door.deliver()
      await expect.poll(() => notificationsOf(bobContext, origin).then((ns) => ns.length), WAIT).toBeGreaterThan(0)
      return notificationsOf(bobContext, origin)
    }

    // Default content choice: the conversation, the sender and the text, from the worker alone.
    const first = await wakeWithAppClosed(bob.page, 'the pump is fixed')
    expect(first).toHaveLength(1)
    expect(first[0]).toMatchObject({ title: 'Night shift', body: 'Admin: the pump is fixed' })
    expect(first[0]!.tag).toMatch(/^conv:[A-Za-z0-9_-]{22}$/)

    // The worker let the engine lock go: a page opened now gets the engine (no "open in another
    // tab"), shows the message once, and announces nothing the worker already announced.
    let page = await openApp(bobContext, origin)
    await expect.poll(() => statusText(page), WAIT).toContain('Online')
    expect(await page.getByText('FieldChat is open in another tab').count()).toBe(0)
    await openConversation(page, 'Night shift')
    await expect.poll(() => messageTexts(page), WAIT).toContain('the pump is fixed')
    expect((await messageTexts(page)).filter((t) => t === 'the pump is fixed')).toHaveLength(1)
    expect(await page.evaluate(() => (window as unknown as { __shown: Shown[] }).__shown)).toEqual([])
    await closeNotifications(bobContext, origin)

    // Name only: the worker keeps the text out too.
    await page.getByRole('link', { name: 'Back to conversations' }).click()
    const settings = page.locator('summary', { hasText: 'Notifications:' })
    await settings.click()
    await page.getByRole('combobox', { name: /Show in notifications/ }).selectOption('sender')
    await expect.poll(() => mirroredLevel(page), WAIT).toBe('sender') // the copy the worker reads
    const second = await wakeWithAppClosed(page, 'the code is 4711')
    expect(second).toHaveLength(1)
    expect(second[0]!.title).toBe('Night shift')
    expect(second[0]!.body).toBe('New message from Admin') // only what this wake received: no "(2 new)"
    expect(JSON.stringify(second)).not.toContain('4711')
    await closeNotifications(bobContext, origin)

    // App lock: the worker cannot open the store and never asks: the generic notice only.
    page = await openApp(bobContext, origin)
    await expect.poll(() => statusText(page), WAIT).toContain('Online')
    await page.locator('details.app-lock summary').first().click()
    await page.getByLabel('Passphrase', { exact: true }).fill('correct horse battery staple')
    await page.getByLabel('Repeat it').fill('correct horse battery staple')
    await page.getByRole('button', { name: 'Set passphrase' }).click()
    await expect.poll(() => page.locator('details.app-lock summary').first().textContent(), WAIT).toContain('App lock: on (passphrase)')
    const third = await wakeWithAppClosed(page, 'see you at six')
    expect(third).toEqual([{ title: 'FieldChat', body: 'New message in FieldChat', tag: 'fieldchat-wake' }])

    expect(await shown(admin)).toEqual([])
    expect([...unexpectedErrors(admin), ...unexpectedErrors(bob), ...appErrors]).toEqual([])
  }, 300_000)

  it('[V7][M62] with every window closed, a call rings: the push wake finds the caller\'s ring in the conversation and the worker shows "… is calling"; opened from it, the app shows the call ringing', async () => {
    const origin = world.server.url
    const { admin, bob, bobContext, door } = await nightShift(origin)
    await bob.page.close()

    await admin.page.getByRole('button', { name: 'Voice call', exact: true }).click()
    await expect.poll(() => statusText(admin.page), WAIT).toContain('Online')
    await door.deliver()
    await expect.poll(() => notificationsOf(bobContext, origin).then((ns) => ns.filter((n) => n.tag.startsWith('call:'))), WAIT).toHaveLength(1)
    const [ring] = (await notificationsOf(bobContext, origin)).filter((n) => n.tag.startsWith('call:'))
    expect(ring).toMatchObject({ title: 'Night shift', body: 'Admin is calling: voice call' })

    // Opened (as a tap on it would), the app rings while Admin's device still calls.
    const page = await openApp(bobContext, origin)
    await openConversation(page, 'Night shift')
    await page.getByRole('button', { name: /^Accept/ }).first().waitFor(WAIT)
    await closeNotifications(bobContext, origin)
    expect([...unexpectedErrors(admin), ...appErrors]).toEqual([])
  }, 300_000)
})

const appErrors: string[] = []

/**
 * Admin and Bob in "Night shift"; Bob in a phone-sized browser context of his own with
 * notifications on and a door for pushes to his service worker. `prepare` runs on his context
 * before his first page.
 */
async function nightShift(origin: string, prepare?: (context: BrowserContext) => Promise<unknown>) {
  const admin = await person(world.browser, 'Admin', `${origin}/`)
  const bobContext = await world.browser.newContext({ viewport: { width: 360, height: 740 } })
  await bobContext.grantPermissions(['notifications'], { origin })
  await prepare?.(bobContext)
  const bob = await personIn(bobContext, 'Bob', `${origin}/`)
  await onboard(admin.page, 'Admin')
  await createConversation(admin.page, 'Night shift')
  await joinConversation(bob, await inviteLink(admin.page), 'Night shift')
  await notificationsOn(bob.page)
  return { admin, bob, bobContext, door: await pushDoor(bobContext, origin) }
}

/** Back to the list, turn notifications on (the permission is granted), and wait for the service worker. */
async function notificationsOn(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Back to conversations' }).click()
  await page.locator('summary', { hasText: 'Notifications: off' }).click()
  await page.getByRole('button', { name: 'Turn on notifications' }).click()
  await page.getByRole('combobox', { name: /Show in notifications/ }).waitFor({ timeout: WAIT.timeout })
  await page.waitForFunction(() => navigator.serviceWorker.ready.then(() => true), undefined, { timeout: WAIT.timeout })
}

/** A new window of the app in `context`; its errors are kept in `appErrors`. */
async function openApp(context: BrowserContext, origin: string): Promise<Page> {
  const page = await context.newPage()
  page.on('pageerror', (err) => appErrors.push(`pageerror: ${err.message}`))
  page.on('console', (msg) => void (msg.type() === 'error' && appErrors.push(`console: ${msg.text()}`)))
  await page.goto(`${origin}/`)
  return page
}

/** The content choice in the copy of the settings the service worker reads (notify/settings.ts). */
function mirroredLevel(page: Page): Promise<string | undefined> {
  return page.evaluate(
    () =>
      new Promise<string | undefined>((ok) => {
        const open = indexedDB.open('fieldchat-prefs')
        open.onerror = () => ok(undefined)
        open.onsuccess = () => {
          const db = open.result
          const get = db.transaction('prefs').objectStore('prefs').get('fieldchat.notifications')
          get.onsuccess = () => {
            db.close()
            ok(typeof get.result === 'string' ? (JSON.parse(get.result) as { level?: string }).level : undefined)
          }
          get.onerror = () => (db.close(), ok(undefined))
        }
      }),
  )
}
