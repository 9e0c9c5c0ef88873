import type { Locator, Page } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { clockBot, type ClockBot } from './clockBot.js'
import { seriousViolations } from './axeCheck.js'
import { until } from '../integration/helpers/clients.js'
import {
  WAIT, createConversation, ensureServiceWorkerControls, inviteLink, log, onboard, person, send, statusText, toLists,
  unexpectedErrors, useWorld,
} from './harness.js'

/**
 * [W25][W26] Search in the PWA: Ana (a browser) and Bruno (a Node device, ten messages per
 * segment so that Harbour's history spans several segments) write in two conversations. Ana
 * searches with accents and case folded, offline after a reload, and opens a hit: the old segment
 * loads, the list scrolls to the message and highlights it.
 */
const world = useWorld()
const bots: ClockBot[] = []
afterAll(async () => {
  for (const b of bots) await b.close()
})

const searchbox = (page: Page, name = 'Search messages'): Locator => page.getByRole('searchbox', { name })
const results = (page: Page, title: string): Locator => page.getByRole('list', { name: `Results in ${title}` }).getByRole('listitem')
const marks = (page: Page): Promise<string[]> => page.locator('.search-view mark').allTextContents()
const summary = (page: Page): Promise<string> => page.getByRole('status', { name: 'Search results summary' }).innerText()

/** The row is drawn and lies inside the log's visible box. */
async function inView(page: Page, text: string): Promise<boolean> {
  const row = log(page).getByRole('listitem').filter({ hasText: text })
  if (!(await row.count())) return false
  const [r, l] = await Promise.all([row.first().boundingBox(), log(page).boundingBox()])
  return !!r && !!l && r.y >= l.y - 1 && r.y + r.height <= l.y + l.height + 1
}

describe('search', () => {
  it('[W25][W26] finds both people\'s messages in two conversations (accents and case folded), works offline, and opens a hit at its message', async () => {
    const ana = await person(world.browser, 'Ana', `${world.server.url}/`)
    const { page } = ana
    await onboard(page, 'Ana')
    await createConversation(page, 'Harbour')
    const bruno = await clockBot('Bruno', world.server.url, { segmentCapacity: 10 })
    bots.push(bruno)
    const harbour = await bruno.join(await inviteLink(page))
    await page.getByRole('button', { name: 'Invite', exact: true }).click() // the panel closes

    // Bruno's message first, then enough after it to fill four segments.
    await bruno.messenger.send(harbour, 'Café crème at the Straße gate')
    for (let i = 1; i <= 35; i++) await bruno.messenger.send(harbour, `filler ${i}`)
    // On the server first (a loaded CI machine can take a while for 36 messages in 4 segments), then on Ana's page.
    await until(() => bruno.messenger.status.pending === 0, 'Bruno\'s messages are on the server', 90_000)
    // Once (1 CI run in many) Ana's log did not show it within 90 s, with Bruno's messages on the
    // server; the cause is not known. The wait says what the page showed, and a log left scrolled
    // up by the burst (it then offers "Jump to newest" instead of following) is taken to the end.
    await expect
      .poll(async () => {
        if (await log(page).getByText('filler 35', { exact: true }).count()) return 'shown'
        const jump = page.getByRole('button', { name: /^Jump to newest/ })
        if (await jump.count()) {
          console.error(`[search] the log stopped following the burst: ${await jump.innerText()}`)
          await jump.click()
        }
        const rows = await log(page).getByRole('listitem').allInnerTexts()
        return `not shown; last rows: ${rows.slice(-3).join(' | ').replace(/\s+/g, ' ').slice(0, 300)}`
      }, { timeout: 90_000, interval: 500 })
      .toBe('shown')
    await send(page, 'the cafe is closed on Sunday')
    await toLists(page)
    await createConversation(page, 'Depot')
    await send(page, 'CAFE order for the depot')

    // Offline, after a reload served by the service worker: the index is this device's own.
    await ensureServiceWorkerControls(page)
    await page.context().setOffline(true)
    await page.reload()
    await expect.poll(() => statusText(page), WAIT).toContain('Offline')

    // Ctrl+K opens the search; the empty state says what it does.
    await page.keyboard.press('Control+k')
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('type')), WAIT).toBe('search')
    await page.getByText('so it works offline').waitFor(WAIT)
    await searchbox(page).fill('cafe')
    await expect.poll(() => results(page, 'Harbour').count(), WAIT).toBe(2)
    await expect.poll(() => results(page, 'Depot').count(), WAIT).toBe(1)
    expect((await marks(page)).sort()).toEqual(['CAFE', 'Café', 'cafe'])
    expect(await summary(page)).toBe('3 messages found')
    expect(await seriousViolations(page), 'the search view with results').toEqual([])
    const hit = results(page, 'Harbour').filter({ hasText: 'Café crème' })
    expect(await hit.innerText()).toContain('Bruno')

    // ß is ss, case does not matter, every word must match.
    await searchbox(page).fill('STRASSE gate')
    await expect.poll(() => marks(page), WAIT).toEqual(['Straße', 'gate'])
    await searchbox(page).fill('strasse sunday')
    await expect.poll(() => summary(page), WAIT).toBe('No messages match “strasse sunday”.')

    // Enter opens the best hit: Harbour, its oldest segment loaded, the message in view and highlighted.
    await searchbox(page).fill('crème')
    await expect.poll(() => results(page, 'Harbour').count(), WAIT).toBe(1)
    // The highlight is brief (a visual cue): watch for it rather than race it.
    await page.evaluate(() => {
      const seen: string[] = ((window as unknown as { highlighted: string[] }).highlighted = [])
      new MutationObserver(() => {
        for (const el of document.querySelectorAll('[role=log] .highlight')) seen.push(el.textContent ?? '')
      }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['class'], childList: true })
    })
    await searchbox(page).press('Enter')
    await page.getByRole('heading', { name: 'Harbour', exact: true }).waitFor(WAIT)
    await expect.poll(() => inView(page, 'Café crème at the Straße gate'), WAIT).toBe(true)
    const highlighted = () => page.evaluate(() => (window as unknown as { highlighted: string[] }).highlighted.join('|'))
    await expect.poll(highlighted, WAIT).toContain('Café crème at the Straße gate')
    expect(await inView(page, 'the cafe is closed on Sunday')).toBe(false)

    // "Search in this conversation": only Harbour's messages.
    await page.getByRole('button', { name: 'Search in this conversation' }).click()
    const scoped = searchbox(page, 'Search in Harbour')
    await scoped.waitFor(WAIT)
    await scoped.fill('CAFÉ')
    await expect.poll(() => results(page, 'Harbour').count(), WAIT).toBe(2)
    expect(await results(page, 'Depot').count()).toBe(0)
    // A click opens a hit too; Escape closes the search and gives the focus back.
    await results(page, 'Harbour').filter({ hasText: 'closed on Sunday' }).getByRole('link').click()
    await expect.poll(() => inView(page, 'the cafe is closed on Sunday'), WAIT).toBe(true)
    await page.getByRole('link', { name: 'Back to conversations' }).click()
    await scoped.press('Escape')
    await expect.poll(() => searchbox(page).count(), WAIT).toBe(0)
    await page.getByRole('navigation', { name: 'Conversations' }).waitFor(WAIT)

    // "/" opens it from anywhere but a text field.
    await page.locator('body').click({ position: { x: 5, y: 5 } })
    await page.keyboard.press('/')
    await searchbox(page).waitFor(WAIT)
    expect(await searchbox(page).inputValue()).toBe('CAFÉ')

    expect(JSON.stringify(await page.getByRole('alert').allTextContents())).toBe('[]')
    expect(unexpectedErrors(ana)).toEqual([])
  }, 240_000)
})
