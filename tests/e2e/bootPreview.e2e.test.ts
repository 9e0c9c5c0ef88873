import { afterAll, describe, expect, it } from 'vitest'
import { WAIT, createConversation, messageTexts, onboard, person, send, unexpectedErrors, type Person, useWorld } from './harness.js'

/**
 * [W39] At launch the conversation the address names is painted read-only from its saved newest
 * messages while the engine loads (client/core [M13b]), then the conversation itself takes over.
 * What the page painted before the app was ready is recorded from the very first script on.
 */
const world = useWorld()
const people: Person[] = []

declare global {
  interface Window {
    bootPreview?: { texts: string[]; appReady: boolean }
  }
}

describe('the first paint at launch', () => {
  afterAll(async () => {
    for (const p of people) await p.context.close()
  })

  it('shows the saved newest messages before the engine is ready, then the live conversation', async () => {
    const alice = await person(world.browser, 'Alice', `${world.server.url}/`)
    people.push(alice)
    await onboard(alice.page, 'Alice')
    await createConversation(alice.page, 'Depot')
    const texts = ['pallet 1 checked', 'pallet 2 checked', 'forklift back at 6']
    for (const t of texts) await send(alice.page, t)
    // The view is saved a second after the window last changed ([M13a]).
    await alice.page.waitForTimeout(1_500)
    expect(await alice.page.evaluate(() => location.hash)).toMatch(/^#c=/)

    await alice.context.addInitScript(() => {
      new MutationObserver(() => {
        const shown = document.querySelector('[data-testid="boot-preview"]')
        if (shown && !window.bootPreview) {
          const app = document.querySelector('[role="log"]')
          window.bootPreview = { texts: [...shown.querySelectorAll('.message-text')].map((e) => e.textContent ?? ''), appReady: !!app }
        }
      }).observe(document, { subtree: true, childList: true })
    })
    await alice.page.reload()
    await expect.poll(() => messageTexts(alice.page), WAIT).toEqual(texts)
    const painted = await alice.page.evaluate(() => window.bootPreview)
    expect(painted).toEqual({ texts, appReady: false })
    // Read-only: it is gone once the app is there, and nothing of it could be acted on.
    expect(await alice.page.getByTestId('boot-preview').count()).toBe(0)
    expect(unexpectedErrors(alice)).toEqual([])
  })
})
