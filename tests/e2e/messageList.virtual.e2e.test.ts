import type { Page } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { clockBot, type ClockBot } from './clockBot.js'
import { WAIT, createConversation, inviteLink, log, onboard, person, unexpectedErrors, useWorld } from './harness.js'

/**
 * [W11] A long conversation in the browser: 2,400 messages in segments of 500 written by a Node
 * device. The log is virtualised (the DOM holds a few dozen message rows whatever is loaded);
 * after a reload only the newest segment is loaded, and scrolling up loads the older ones while
 * the message the reader was looking at stays in view where it was.
 */
const world = useWorld()
const bots: ClockBot[] = []
afterAll(async () => {
  for (const b of bots) await b.close()
})

const TOTAL = 2400
const messageNodes = (page: Page) => log(page).locator('li[data-kind="message"]').count()
const text = (i: number) => `m ${i}`

/** The first message row at least partly in the log's view, and where its top is relative to the log's top. */
function firstVisible(page: Page): Promise<{ text: string | undefined; delta: number } | undefined> {
  return log(page).evaluate((el) => {
    const top = el.getBoundingClientRect().top
    for (const li of el.querySelectorAll<HTMLElement>('li[data-kind="message"]')) {
      const rect = li.getBoundingClientRect()
      if (rect.bottom > top + 1) return { text: li.querySelector('[data-testid="message-text"]')?.textContent ?? undefined, delta: rect.top - top }
    }
    return undefined
  })
}
/** Where the row of message `t` is relative to the log's top (undefined: not in the DOM). */
function rowTop(page: Page, t: string): Promise<number | undefined> {
  return log(page).evaluate((el, t) => {
    for (const li of el.querySelectorAll<HTMLElement>('li[data-kind="message"]')) {
      if (li.querySelector('[data-testid="message-text"]')?.textContent === t) return li.getBoundingClientRect().top - el.getBoundingClientRect().top
    }
    return undefined
  }, t)
}

describe('a long conversation', () => {
  it('[W11] 2,400 messages: few rows in the DOM; older segments load on scrolling up and the viewport keeps its message', async () => {
    const alice = await person(world.browser, 'Alice', `${world.server.url}/`)
    const { page } = alice
    await onboard(page, 'Alice')
    await createConversation(page, 'Archive room')
    const bot = await clockBot('Bot', world.server.url, { segmentCapacity: 500 })
    bots.push(bot)
    const conv = await bot.join(await inviteLink(page))
    await page.getByRole('button', { name: 'Invite', exact: true }).click() // the panel closes: the log has the room
    for (let start = 1; start <= TOTAL; start += 200) {
      await Promise.all(Array.from({ length: 200 }, (_, k) => bot.messenger.send(conv, text(start + k))))
    }
    expect(bot.messenger.messages(conv)).toHaveLength(TOTAL)

    // Live: every segment that changed is loaded, the newest message is in view, the DOM holds few rows.
    await log(page).getByText(text(TOTAL), { exact: true }).waitFor({ timeout: 120_000 })
    await expect.poll(() => firstVisible(page).then((f) => f?.text !== undefined), WAIT).toBe(true)
    expect(await messageNodes(page)).toBeLessThan(80)
    // Read at the bottom (with unread messages the list would reopen at the first of them, [W24]).
    await expect.poll(() => page.title(), WAIT).toBe('FieldChat')
    await log(page).evaluate((el) => el.scrollTo({ top: 0 }))
    await expect.poll(() => firstVisible(page).then((f) => f?.text), WAIT).toBe(text(1))
    expect(await messageNodes(page)).toBeLessThan(80)

    // After a reload: the newest segment only (messages 2001–2400), the newest at the bottom.
    // [M13a] The saved newest 50 paint first; the window replaces them (aria-busy until then).
    await page.reload()
    await log(page).getByText(text(TOTAL), { exact: true }).waitFor(WAIT)
    await page.locator('[role=log][aria-busy=false]').waitFor(WAIT)
    expect(await page.getByRole('button', { name: 'Load earlier messages' }).count()).toBe(0) // out of view, at the top
    const before = await log(page).evaluate((el) => el.scrollHeight)
    expect(await messageNodes(page)).toBeLessThan(80)

    // Scrolling to the top loads the segment before; the message that was at the top stays there.
    await log(page).evaluate((el) => el.scrollTo({ top: 0 }))
    await expect.poll(() => log(page).evaluate((el) => el.scrollHeight), WAIT).toBeGreaterThan(before * 1.5)
    await expect.poll(async () => {
      const top = await rowTop(page, text(2001))
      return top !== undefined && top >= 0 && top < 150
    }, WAIT).toBe(true)
    // It did not jump to the top of the older segment: the loaded messages are above, out of view.
    expect(await log(page).evaluate((el) => el.scrollTop)).toBeGreaterThan(5000)
    expect(await rowTop(page, text(1501))).toBeUndefined()
    expect(await messageNodes(page)).toBeLessThan(80)

    // Further up, the next older segments load in turn, down to the first message.
    for (let round = 0; round < 10 && (await firstVisible(page))?.text !== text(1); round++) {
      await log(page).evaluate((el) => el.scrollTo({ top: 0 }))
      await page.waitForTimeout(400)
    }
    await expect.poll(() => firstVisible(page).then((f) => f?.text), WAIT).toBe(text(1))
    expect(await page.getByRole('button', { name: 'Load earlier messages' }).count()).toBe(0)
    expect(unexpectedErrors(alice)).toEqual([])
  }, 300_000)
})
