import type { Browser, Page } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { dayLabel, dayStart } from '../../client/web/timeline/dayLabel.js'
import { clockBot, type ClockBot } from './clockBot.js'
import { createOrganisation } from './orgSteps.js'
import {
  WAIT, createConversation, inviteLink, log, messageTexts, onboard, openConversation, personIn, send, statusText,
  unexpectedErrors, type Person, useWorld,
} from './harness.js'

/**
 * The conversation screens people compare with WhatsApp and Signal ([W9]–[W13], client/web/SPEC.md),
 * on a phone-sized screen (360×740) in en-GB, against the real server and the built PWA. A Node
 * device with a clock the test sets writes "yesterday" and "three days ago".
 */
const world = useWorld()
const bots: ClockBot[] = []
afterAll(async () => {
  for (const b of bots) await b.close()
})

const LOCALE = 'en-GB'
const phone = (browser: Browser, name: string, url: string): Promise<Person> =>
  browser.newContext({ viewport: { width: 360, height: 740 }, locale: LOCALE }).then((c) => personIn(c, name, url))
const conversationLinks = (page: Page) => page.getByRole('navigation', { name: 'Conversations' }).getByRole('link')
const row = (page: Page, title: string) => page.getByRole('navigation', { name: 'Conversations' }).getByRole('listitem').filter({ has: page.getByRole('link', { name: title, exact: true }) })
const backToLists = async (page: Page) => {
  const back = page.getByRole('link', { name: 'Back to conversations' })
  if (await back.isVisible()) await back.click()
  await page.getByRole('navigation', { name: 'Conversations' }).waitFor()
}
const messageRow = (page: Page, text: string) => log(page).getByRole('listitem').filter({ has: page.getByTestId('message-text').getByText(text, { exact: true }) })
const dayLabels = (page: Page) => log(page).locator('.day-label').allTextContents()
const banner = (page: Page) => page.getByRole('status', { name: 'Delivery' })

describe('conversation screens on a phone', () => {
  it('[W9] the list shows each conversation\'s last message and time, newest activity first; an organisation appears once', async () => {
    const alice = await phone(world.browser, 'Alice', `${world.server.url}/`)
    const { page } = alice
    await onboard(page, 'Alice')
    await createConversation(page, 'Dock 4')
    await send(page, 'crane is down')
    await backToLists(page)
    await createConversation(page, 'Yard')
    await send(page, 'yard   gate\nopen')
    await backToLists(page)

    await expect.poll(() => conversationLinks(page).allTextContents(), WAIT).toEqual(['Yard', 'Dock 4'])
    await expect.poll(() => row(page, 'Yard').getByTestId('conversation-preview').textContent(), WAIT).toBe('You: yard gate open')
    expect(await row(page, 'Dock 4').getByTestId('conversation-preview').textContent()).toBe('You: crane is down')
    expect(await row(page, 'Yard').locator('time').textContent()).toMatch(/^\d{2}:\d{2}$/)
    // The link's name is the title alone (what people and tests look for).
    await page.getByRole('link', { name: 'Yard', exact: true }).waitFor()

    // New activity moves a conversation to the top; a file shows as "📎 name".
    await openConversation(page, 'Dock 4')
    await page.getByLabel('Attach files').setInputFiles([{ name: 'manifest.txt', mimeType: 'text/plain', buffer: Buffer.from('pallets: 12\n') }])
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill('for the crane')
    await expect.poll(() => page.getByRole('button', { name: 'Send', exact: true }).isEnabled(), WAIT).toBe(true)
    await page.getByRole('button', { name: 'Send', exact: true }).click()
    await log(page).getByText('for the crane', { exact: true }).waitFor(WAIT)
    await backToLists(page)
    await expect.poll(() => conversationLinks(page).allTextContents(), WAIT).toEqual(['Dock 4', 'Yard'])
    await expect.poll(() => row(page, 'Dock 4').getByTestId('conversation-preview').textContent(), WAIT).toBe('You: 📎 manifest.txt for the crane')

    // An organisation: listed under Organisations, not again under Conversations; its page opens its conversation.
    await createOrganisation(page, 'Harbour Works')
    await backToLists(page)
    await page.getByRole('navigation', { name: 'Organisations' }).getByRole('link', { name: 'Harbour Works', exact: true }).waitFor(WAIT)
    await page.waitForTimeout(500) // the list settles (previews are read 150 ms after a change)
    expect(await conversationLinks(page).allTextContents()).toEqual(['Dock 4', 'Yard'])
    expect(await page.getByRole('link', { name: 'Harbour Works', exact: true }).count()).toBe(1)
    await page.getByRole('link', { name: 'Harbour Works', exact: true }).click()
    await page.getByRole('link', { name: 'Open conversation' }).click()
    await page.getByRole('heading', { name: 'Harbour Works', exact: true }).waitFor()
    await log(page).waitFor()
    expect(unexpectedErrors(alice)).toEqual([])
  }, 180_000)

  it('[W9][W10][W11] date separators, grouping, "Yesterday" in the list, following the newest and "Jump to newest"', async () => {
    const alice = await phone(world.browser, 'Alice', `${world.server.url}/`)
    const { page } = alice
    await onboard(page, 'Alice')
    await createConversation(page, 'Night shift')
    const bot = await clockBot('Bot', world.server.url)
    bots.push(bot)
    const conv = await bot.join(await inviteLink(page))

    // Oldest first: the bot's clock never goes back.
    const now = Date.now()
    const today = dayStart(now)
    const threeDaysAgo = today - 3 * 86_400_000 + 9 * 3_600_000
    const yesterday = today - 10 * 3_600_000 // 14:00 yesterday
    const written: [number, string][] = [
      [threeDaysAgo, 'three days ago'],
      [yesterday, 'y 14:00'],
      [yesterday + 2 * 60_000, 'y 14:02'],
      [yesterday + 20 * 60_000, 'y 14:20'],
    ]
    for (const [ts, text] of written) {
      bot.at(ts)
      await bot.messenger.send(conv, text)
    }
    await expect.poll(() => messageTexts(page), WAIT).toEqual(written.map(([, t]) => t))
    expect(await dayLabels(page)).toEqual([dayLabel(threeDaysAgo, now, LOCALE), 'Yesterday'])
    // Grouped: the name once for 14:00 and 14:02 (two minutes apart), again at 14:20.
    expect(await messageRow(page, 'y 14:00').locator('.message-author').count()).toBe(1)
    expect(await messageRow(page, 'y 14:02').locator('.message-author').count()).toBe(0)
    expect(await messageRow(page, 'y 14:20').locator('.message-author').count()).toBe(1)
    expect(await messageRow(page, 'three days ago').locator('.message-author').textContent()).toBe('Bot')
    await backToLists(page)
    await expect.poll(() => row(page, 'Night shift').locator('time').textContent(), WAIT).toBe('Yesterday')
    expect(await row(page, 'Night shift').getByTestId('conversation-preview').textContent()).toBe('Bot: y 14:20')

    // Today: enough messages to scroll. At the bottom, each new one is followed.
    bot.at(undefined)
    await openConversation(page, 'Night shift')
    await bot.messenger.send(conv, 'today 1')
    await messageRow(page, 'today 1').waitFor(WAIT)
    expect(await dayLabels(page)).toEqual([dayLabel(threeDaysAgo, now, LOCALE), 'Yesterday', 'Today'])
    for (let i = 2; i <= 30; i++) await bot.messenger.send(conv, `today ${i}`)
    await messageRow(page, 'today 30').waitFor(WAIT)
    await expect.poll(() => inView(page, 'today 30'), WAIT).toBe(true)
    expect(await page.getByRole('button', { name: /Jump to newest/ }).count()).toBe(0)

    // Scrolled up, the reader stays put and is told how many arrived.
    await log(page).evaluate((el) => el.scrollTo({ top: 0 }))
    const jump = page.getByRole('button', { name: /Jump to newest/ })
    await jump.waitFor(WAIT)
    const top = await firstVisibleText(page)
    for (let i = 1; i <= 3; i++) await bot.messenger.send(conv, `while away ${i}`)
    await expect.poll(() => jump.textContent(), WAIT).toBe('Jump to newest (3 new)')
    expect(await firstVisibleText(page)).toBe(top)
    expect(await inView(page, 'while away 3')).toBe(false)
    await jump.click()
    await expect.poll(() => inView(page, 'while away 3'), WAIT).toBe(true)
    await expect.poll(() => jump.count(), WAIT).toBe(0)
    expect(unexpectedErrors(alice)).toEqual([])
  }, 240_000)

  it('[W12] an offline bar says how many items wait to be sent, and goes once they are delivered', async () => {
    const alice = await phone(world.browser, 'Alice', `${world.server.url}/`)
    const { page } = alice
    await onboard(page, 'Alice')
    await createConversation(page, 'Pump station')
    await expect.poll(() => statusText(page), WAIT).toContain('Online')
    expect(await banner(page).textContent()).toBe('')

    await alice.context.setOffline(true)
    await expect.poll(() => banner(page).textContent(), WAIT).toMatch(/^Offline — /)
    await send(page, 'valve one closed')
    await expect.poll(() => banner(page).textContent(), WAIT).toBe('Offline — 1 waiting to be sent')
    await send(page, 'valve two closed')
    await expect.poll(() => banner(page).textContent(), WAIT).toBe('Offline — 2 waiting to be sent')
    expect(await banner(page).isVisible()).toBe(true)

    await alice.context.setOffline(false)
    await expect.poll(() => banner(page).textContent(), WAIT).toBe('')
    await expect.poll(() => statusText(page), WAIT).toBe('Online')
    expect(await page.locator('.offline-banner p').count()).toBe(0)
    expect(unexpectedErrors(alice)).toEqual([])
  }, 120_000)

  it('[W13] on a phone the conversation header shows the whole title beside its actions; a long one is cut but named in full', async () => {
    const alice = await phone(world.browser, 'Alice', `${world.server.url}/`)
    const { page } = alice
    await onboard(page, 'Alice')
    await createConversation(page, 'Night shift')
    const title = page.getByRole('heading', { name: 'Night shift', exact: true })
    const fits = () => title.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }))
    const size = await fits()
    expect(size.client).toBeGreaterThan(0)
    expect(size.scroll).toBeLessThanOrEqual(size.client)
    for (const name of ['Invite', 'Members']) expect(await page.getByRole('button', { name, exact: true }).isVisible()).toBe(true)
    const viewport = await page.evaluate(() => document.documentElement.scrollWidth)
    expect(viewport).toBeLessThanOrEqual(360)

    const long = 'Night shift at the north quay container terminal, cranes 4 to 9'
    await backToLists(page)
    await createConversation(page, long)
    const longTitle = page.getByRole('heading', { name: long, exact: true })
    const cut = await longTitle.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth, overflow: getComputedStyle(el).textOverflow }))
    expect(cut.scroll).toBeGreaterThan(cut.client)
    expect(cut.overflow).toBe('ellipsis')
    expect(await longTitle.getAttribute('title')).toBe(long)
  }, 120_000)

  it('[W12] the storage notice can be dismissed and stays dismissed after a reload', async () => {
    const alice = await phone(world.browser, 'Alice', `${world.server.url}/`)
    const { page } = alice
    await onboard(page, 'Alice')
    const persistence = await page.evaluate(() => navigator.storage.persisted())
    const notice = page.getByRole('note', { name: 'Storage not persistent' })
    if (persistence) {
      // This browser keeps the data: there is nothing to say.
      expect(await notice.count()).toBe(0)
      return
    }
    await notice.waitFor(WAIT)
    await notice.getByRole('button', { name: 'Dismiss: Storage not persistent' }).click()
    await expect.poll(() => notice.count(), WAIT).toBe(0)
    await page.reload()
    await page.getByRole('navigation', { name: 'Conversations' }).waitFor(WAIT)
    await page.waitForTimeout(500)
    expect(await notice.count()).toBe(0)
  }, 120_000)
})

/** The message is entirely inside the log's visible box. */
async function inView(page: Page, text: string): Promise<boolean> {
  const item = messageRow(page, text)
  if (!(await item.count())) return false
  const [box, area] = await Promise.all([item.boundingBox(), log(page).boundingBox()])
  return !!box && !!area && box.y >= area.y - 1 && box.y + box.height <= area.y + area.height + 1
}

/** The text of the first message whose row is at least partly in view. */
function firstVisibleText(page: Page): Promise<string | undefined> {
  return log(page).evaluate((el) => {
    const top = el.getBoundingClientRect().top
    for (const li of el.querySelectorAll<HTMLElement>('li[data-kind="message"]')) {
      if (li.getBoundingClientRect().bottom > top + 1) return li.querySelector('[data-testid="message-text"]')?.textContent ?? undefined
    }
    return undefined
  })
}
