import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { seriousViolations } from './axeCheck.js'
import { createOrganisation } from './orgSteps.js'
import { WAIT, createConversation, log, onboard, person, send, unexpectedErrors, useWorld } from './harness.js'

/**
 * [W14] Accessibility in Chromium: axe-core on the main pages (no serious or critical
 * violations), and a conversation used with the keyboard alone. The server's CSP allows no inline
 * script, so axe is not added as a <script> tag: its source is evaluated through the DevTools
 * protocol (page.evaluate), which the page's CSP does not govern.
 */
const world = useWorld()
const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null
    return { tag: el?.tagName, id: el?.id, label: el?.getAttribute('aria-label') ?? el?.textContent?.trim().slice(0, 40), outline: el ? getComputedStyle(el).outlineStyle : 'none' }
  })

/** Presses Tab (or Shift+Tab) until `done` says the focus arrived, at most `max` times. */
async function tabUntil(page: Page, done: (f: Awaited<ReturnType<typeof focused>>) => boolean, back = false, max = 40): Promise<Awaited<ReturnType<typeof focused>>> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab')
    const f = await focused(page)
    if (done(f)) return f
  }
  throw new Error(`focus never arrived (last: ${JSON.stringify(await focused(page))})`)
}

describe('accessibility', () => {
  it('[W14] axe finds no serious or critical violation on onboarding, the lists, a conversation with messages and an organisation page', async () => {
    const alice = await person(world.browser, 'Alice', `${world.server.url}/`)
    const { page } = alice
    await page.getByRole('textbox', { name: 'Display name' }).waitFor(WAIT)
    expect(await seriousViolations(page), 'onboarding').toEqual([])

    await onboard(page, 'Alice')
    await createConversation(page, 'Dock 4')
    await send(page, 'crane is down')
    await send(page, 'and the gate')
    expect(await seriousViolations(page), 'a conversation with messages').toEqual([])

    await page.getByRole('link', { name: 'Back to conversations' }).click()
    await page.getByRole('navigation', { name: 'Conversations' }).getByTestId('conversation-preview').waitFor(WAIT)
    expect(await seriousViolations(page), 'conversation list').toEqual([])

    await createOrganisation(page, 'Harbour Works')
    expect(await seriousViolations(page), 'organisation page').toEqual([])
    expect(unexpectedErrors(alice)).toEqual([])
  }, 180_000)

  it('[W14] a conversation by keyboard alone: Tab to the composer, Enter sends, the messages are reachable, Escape closes a panel, focus is visible', async () => {
    const alice = await person(world.browser, 'Alice', `${world.server.url}/`)
    const { page } = alice
    await onboard(page, 'Alice')
    await createConversation(page, 'Night shift')
    await page.locator('body').focus()
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())

    // Tab to the composer, write, Enter sends.
    const composer = await tabUntil(page, (f) => f.id === 'composer-text')
    expect(composer.outline).not.toBe('none')
    await page.keyboard.type('radio check from the quay')
    await page.keyboard.press('Enter')
    await log(page).getByText('radio check from the quay', { exact: true }).waitFor(WAIT)
    expect((await focused(page)).id).toBe('composer-text')
    await page.keyboard.type('second line')
    await page.keyboard.press('Enter')
    await log(page).getByText('second line', { exact: true }).waitFor(WAIT)

    // Back (Shift+Tab) to the message log: focusable, with a visible focus ring, and it scrolls with keys.
    const logFocus = await tabUntil(page, (f) => f.label === 'Messages', true)
    expect(logFocus.outline).not.toBe('none')
    await page.keyboard.press('Home')
    await page.keyboard.press('End')

    // The Members panel opens with Enter and closes with Escape; focus goes back to its button.
    const members = await tabUntil(page, (f) => f.tag === 'BUTTON' && f.label === 'Members', true)
    expect(members.outline).not.toBe('none')
    await page.keyboard.press('Enter')
    const panel = page.locator('#members-panel')
    await panel.waitFor(WAIT)
    await page.keyboard.press('Tab')
    await page.keyboard.press('Escape')
    await expect.poll(() => panel.count(), WAIT).toBe(0)
    expect((await focused(page)).label).toBe('Members')
    expect(await page.getByRole('button', { name: 'Members', exact: true }).getAttribute('aria-expanded')).toBe('false')

    // Back to the lists and into the conversation again, by keyboard.
    await tabUntil(page, (f) => f.label === 'Back to conversations', true)
    await page.keyboard.press('Enter')
    const link = await tabUntil(page, (f) => f.tag === 'A' && f.label === 'Night shift')
    expect(link.outline).not.toBe('none')
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'Night shift', exact: true }).waitFor(WAIT)
    await tabUntil(page, (f) => f.id === 'composer-text')
    expect(unexpectedErrors(alice)).toEqual([])
  }, 180_000)
})
