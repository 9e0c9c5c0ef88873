import type { BrowserContext, CDPSession, Page } from 'playwright-core'
import { expect } from 'vitest'
import { WAIT } from './harness.js'

/**
 * [M62] Web Push wakes in headless Chromium, which has no push service: DevTools' own
 * `ServiceWorker.deliverPushMessage` hands the service worker the push event the push service
 * would (with the server's fixed content-free payload, protocol [S52]). It runs from a blank
 * page of the person's browser context, which is no window of the app.
 */
export interface PushDoor {
  /** A blank page (not of the app's origin) that keeps the context and its session open. */
  readonly blank: Page
  deliver(): Promise<void>
}

export async function pushDoor(context: BrowserContext, origin: string): Promise<PushDoor> {
  const blank = await context.newPage()
  const cdp: CDPSession = await context.newCDPSession(blank)
  const registrations = new Map<string, string>()
  cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations: list }) => {
    for (const r of list) if (!r.isDeleted) registrations.set(r.scopeURL, r.registrationId)
  })
  await cdp.send('ServiceWorker.enable')
  await expect.poll(() => registrations.get(`${origin}/`), WAIT).toBeDefined()
  return {
    blank,
    async deliver() {
      await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId: registrations.get(`${origin}/`)!, data: '{"v":1}' })
    },
  }
}

export interface ShownNotification { title: string; body: string; tag: string }

/**
 * The notifications the origin shows, read with `registration.getNotifications()` from a
 * same-origin page that does not run the app (`/healthz`, which the service worker passes to the
 * network): it holds no engine, so it changes nothing in what a wake does.
 */
export async function notificationsOf(context: BrowserContext, origin: string): Promise<ShownNotification[]> {
  const reader = await context.newPage()
  try {
    await reader.goto(`${origin}/healthz`)
    return await reader.evaluate(async () => {
      const r = await navigator.serviceWorker.getRegistration('/')
      const list = r ? await r.getNotifications() : []
      return list.map((n) => ({ title: n.title, body: n.body, tag: n.tag }))
    })
  } finally {
    await reader.close()
  }
}

export async function closeNotifications(context: BrowserContext, origin: string): Promise<void> {
  const reader = await context.newPage()
  try {
    await reader.goto(`${origin}/healthz`)
    await reader.evaluate(async () => {
      const r = await navigator.serviceWorker.getRegistration('/')
      for (const n of r ? await r.getNotifications() : []) n.close()
    })
  } finally {
    await reader.close()
  }
}
