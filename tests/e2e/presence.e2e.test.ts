import type { Browser, Page } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { clockBot, type ClockBot } from './clockBot.js'
import { WAIT, createConversation, inviteLink, joinConversation, log, onboard, personIn, send, unexpectedErrors, useWorld, type Person } from './harness.js'

/**
 * [W20]–[W24] Receipts, typing and unread in the PWA (client/web/SPEC.md), as WhatsApp and Signal
 * show them, against the real server and the built PWA. Personas: Alice writes; Bea reads in a
 * second browser; Bot and Cy are Node devices (the conversation's admin, and a third member) whose
 * engine the test drives directly (markRead, the organisation's policy).
 */
const world = useWorld()
const bots: ClockBot[] = []
afterAll(async () => {
  for (const b of bots) await b.close()
})

/** Wide enough that the lists and the open conversation are both on screen. */
const desk = (browser: Browser, name: string, url: string): Promise<Person> =>
  browser.newContext({ viewport: { width: 1100, height: 800 }, locale: 'en-GB' }).then((c) => personIn(c, name, url))
const messageRow = (page: Page, text: string) => log(page).getByRole('listitem').filter({ has: page.getByTestId('message-text').getByText(text, { exact: true }) })
/** The accessible name of a message's ticks ("Pending", "Sent", "Delivered to Bea", "Read by Bea", …). */
const ticks = (page: Page, text: string) => messageRow(page, text).locator('.receipt-ticks').getAttribute('aria-label')
const row = (page: Page, title: string) => page.getByRole('navigation', { name: 'Conversations' }).getByRole('listitem').filter({ has: page.getByRole('link', { name: title, exact: true }) })
const badge = async (page: Page, title: string) => {
  const b = row(page, title).getByTestId('unread-badge')
  return (await b.count()) ? b.textContent() : ''
}
const typingLine = (page: Page) => page.getByRole('status', { name: 'Typing' })
/** Long enough for a wrong mark-read (debounced 500 ms) or a receipt (~300 ms) to have gone: used only before asserting that nothing changed. */
const settle = (page: Page) => page.waitForTimeout(2_000)

/** Fakes the tab being hidden or shown again (headless Chromium never hides a page by itself). */
const setHidden = (page: Page, hidden: boolean) =>
  page.evaluate((h) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (h ? 'hidden' : 'visible') })
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => h })
    document.dispatchEvent(new Event('visibilitychange'))
  }, hidden)

describe('receipts, typing and unread', () => {
  it('[W20][W22][W24] ticks go sent → delivered → read as Bea opens the conversation; another conversation open or a hidden tab does not mark read; badge, title and the separator follow', async () => {
    const alice = await desk(world.browser, 'Alice', `${world.server.url}/`)
    const bea = await desk(world.browser, 'Bea', `${world.server.url}/`)
    await onboard(alice.page, 'Alice')
    await createConversation(alice.page, 'Yard')
    await joinConversation(bea, await inviteLink(alice.page), 'Yard')
    // Bea looks at another conversation of hers.
    await createConversation(bea.page, 'Notes')

    // Bea offline: the server has Alice's message (one tick), Bea's device does not.
    await bea.context.setOffline(true)
    await send(alice.page, 'pallets on bay 3')
    await expect.poll(() => ticks(alice.page, 'pallets on bay 3'), WAIT).toBe('Sent')
    expect(await messageRow(alice.page, 'pallets on bay 3').getByRole('img', { name: 'Sent' }).count()).toBe(1)
    await bea.context.setOffline(false)

    // Received but not seen: unread in Bea's list and title; delivered, not read, for Alice.
    await expect.poll(() => badge(bea.page, 'Yard'), WAIT).toBe('1 unread')
    await expect.poll(() => bea.page.title(), WAIT).toBe('(1) FieldChat')
    // Sent with Bea online: after a reconnect, the delivered cursor moved by the catch-up sometimes reaches
    // Alice only at Bea's next join (an engine gap, reported with issue 11), so the test does not wait on it.
    await send(alice.page, 'and bay 4')
    await expect.poll(() => ticks(alice.page, 'and bay 4'), WAIT).toBe('Delivered to Bea')
    expect(await ticks(alice.page, 'pallets on bay 3')).toBe('Delivered to Bea')
    expect(await messageRow(alice.page, 'and bay 4').getByRole('img', { name: 'Delivered to Bea' }).count()).toBe(1)
    await expect.poll(() => badge(bea.page, 'Yard'), WAIT).toBe('2 unread')
    await expect.poll(() => bea.page.title(), WAIT).toBe('(2) FieldChat')
    await settle(bea.page)
    expect(await ticks(alice.page, 'pallets on bay 3')).toBe('Delivered to Bea')
    expect(await ticks(alice.page, 'and bay 4')).toBe('Delivered to Bea')
    expect(await badge(alice.page, 'Yard')).toBe('')

    // Bea opens it: the separator stands before the first unread message, and Alice sees both read.
    await row(bea.page, 'Yard').getByRole('link', { name: 'Yard', exact: true }).click()
    await bea.page.getByRole('heading', { name: 'Yard', exact: true }).waitFor(WAIT)
    await log(bea.page).getByRole('heading', { name: 'Unread messages' }).waitFor(WAIT)
    const kinds = await log(bea.page).locator('li[data-kind]').evaluateAll((els) => els.map((e) => (e.getAttribute('data-kind') === 'message' ? e.querySelector('[data-testid="message-text"]')?.textContent : e.getAttribute('data-kind'))))
    expect(kinds.slice(kinds.indexOf('unread'))).toEqual(['unread', 'pallets on bay 3', 'and bay 4'])
    await expect.poll(() => ticks(alice.page, 'and bay 4'), WAIT).toBe('Read by Bea')
    expect(await ticks(alice.page, 'pallets on bay 3')).toBe('Read by Bea')
    expect(await messageRow(alice.page, 'and bay 4').getByRole('img', { name: 'Read by Bea' }).count()).toBe(1)
    await expect.poll(() => badge(bea.page, 'Yard'), WAIT).toBe('')
    await expect.poll(() => bea.page.title(), WAIT).toBe('FieldChat')

    // The tab hidden with the conversation open: delivered, not read, until it is shown again.
    await setHidden(bea.page, true)
    await send(alice.page, 'crane at 6')
    await expect.poll(() => ticks(alice.page, 'crane at 6'), WAIT).toBe('Delivered to Bea')
    await expect.poll(() => bea.page.title(), WAIT).toBe('(1) FieldChat')
    await settle(bea.page)
    expect(await ticks(alice.page, 'crane at 6')).toBe('Delivered to Bea')
    await setHidden(bea.page, false)
    await expect.poll(() => ticks(alice.page, 'crane at 6'), WAIT).toBe('Read by Bea')
    await expect.poll(() => bea.page.title(), WAIT).toBe('FieldChat')
    // Bea's own message is not unread for her, and carries her ticks.
    await send(bea.page, 'on it')
    await expect.poll(() => ticks(bea.page, 'on it'), WAIT).toMatch(/^(Delivered to|Read by) Alice$/)
    expect(unexpectedErrors(alice)).toEqual([])
    expect(unexpectedErrors(bea).filter((e) => !/ERR_INTERNET_DISCONNECTED|WebSocket/.test(e))).toEqual([])
  }, 240_000)

  it('[W24] opened with more unread messages than the view holds, the list starts at the separator; reaching the newest marks them read', async () => {
    const bot = await clockBot('Dot', world.server.url)
    bots.push(bot)
    const conv = await bot.messenger.createConversation('Depot log')
    const bea = await desk(world.browser, 'Bea', `${world.server.url}/`)
    await joinConversation(bea, (await bot.messenger.invite(conv, world.server.url)).link, 'Depot log')
    await createConversation(bea.page, 'Elsewhere')
    for (let i = 1; i <= 30; i++) await bot.messenger.send(conv, `bay ${i} checked`)
    await expect.poll(() => badge(bea.page, 'Depot log'), WAIT).toBe('30 unread')

    await row(bea.page, 'Depot log').getByRole('link', { name: 'Depot log', exact: true }).click()
    await bea.page.getByRole('heading', { name: 'Depot log', exact: true }).waitFor(WAIT)
    const separator = log(bea.page).getByRole('heading', { name: 'Unread messages' })
    await separator.waitFor(WAIT)
    const top = async () => {
      const [r, l] = await Promise.all([separator.boundingBox(), log(bea.page).boundingBox()])
      return !!r && !!l && r.y >= l.y - 1 && r.y < l.y + l.height / 2
    }
    // The separator near the top of the view, the first unread below it, the newest out of view.
    await expect.poll(top, WAIT).toBe(true)
    await expect.poll(() => messageRow(bea.page, 'bay 1 checked').isVisible(), WAIT).toBe(true)
    expect(await messageRow(bea.page, 'bay 30 checked').count()).toBe(0)
    await settle(bea.page)
    expect(await badge(bea.page, 'Depot log')).toBe('30 unread')
    expect(await top()).toBe(true)

    // Reading down to the newest marks them read.
    await log(bea.page).hover()
    for (let i = 0; i < 40 && !(await messageRow(bea.page, 'bay 30 checked').count()); i++) await bea.page.mouse.wheel(0, 600)
    await bea.page.mouse.wheel(0, 5000)
    await expect.poll(() => badge(bea.page, 'Depot log'), WAIT).toBe('')
    expect(unexpectedErrors(bea)).toEqual([])
  }, 180_000)

  it('[W23] "Alice is typing…" appears on the other side and goes after the engine\'s expiry, or when her message arrives', async () => {
    const alice = await desk(world.browser, 'Alice', `${world.server.url}/`)
    const bea = await desk(world.browser, 'Bea', `${world.server.url}/`)
    await onboard(alice.page, 'Alice')
    await createConversation(alice.page, 'Gatehouse')
    await joinConversation(bea, await inviteLink(alice.page), 'Gatehouse')
    await send(alice.page, 'hello')
    await messageRow(bea.page, 'hello').waitFor(WAIT)
    expect(await typingLine(bea.page).textContent()).toBe('')

    const box = alice.page.getByRole('textbox', { name: 'Message', exact: true })
    await box.pressSequentially('the truck is', { delay: 20 })
    await expect.poll(() => typingLine(bea.page).textContent(), WAIT).toBe('Alice is typing…')
    // She stops typing: gone once the engine's time is up (6 s), with nothing sent.
    await expect.poll(() => typingLine(bea.page).textContent(), WAIT).toBe('')
    await box.pressSequentially(' here', { delay: 20 })
    await expect.poll(() => typingLine(bea.page).textContent(), WAIT).toBe('Alice is typing…')
    await box.press('Enter')
    await messageRow(bea.page, 'the truck is here').waitFor(WAIT)
    await expect.poll(() => typingLine(bea.page).textContent(), WAIT).toBe('')
    expect(unexpectedErrors(alice)).toEqual([])
    expect(unexpectedErrors(bea)).toEqual([])
  }, 180_000)

  it('[W20][W21] a group\'s "Message info" lists who has read and who has it; the person\'s own switch and the organisation\'s policy hide read', async () => {
    const bot = await clockBot('Bot', world.server.url)
    const cy = await clockBot('Cy', world.server.url)
    bots.push(bot, cy)
    const conv = await bot.messenger.createConversation('Gate')
    await cy.join((await bot.messenger.invite(conv, world.server.url)).link)
    const alice = await desk(world.browser, 'Alice', `${world.server.url}/`)
    await joinConversation(alice, (await bot.messenger.invite(conv, world.server.url)).link, 'Gate')
    const { page } = alice

    await send(page, 'gate code changed')
    await expect.poll(() => ticks(page, 'gate code changed'), WAIT).toBe('Delivered to all 2')
    const has = (b: ClockBot) => b.messenger.messages(conv).some((m) => m.text === 'gate code changed')
    await expect.poll(() => has(bot) && has(cy), WAIT).toBe(true)
    await bot.messenger.markRead(conv)
    await expect.poll(() => ticks(page, 'gate code changed'), WAIT).toBe('Delivered to all 2, read by 1')

    // In a group the ticks open "Message info".
    const info = messageRow(page, 'gate code changed').getByRole('button', { name: 'Delivered to all 2, read by 1' })
    await info.click()
    expect(await info.getAttribute('aria-expanded')).toBe('true')
    const panel = messageRow(page, 'gate code changed').getByRole('region', { name: 'Message info' })
    expect(await panel.getByRole('list', { name: 'Read by' }).getByRole('listitem').allTextContents()).toEqual(['Bot'])
    expect(await panel.getByRole('list', { name: 'Delivered to' }).getByRole('listitem').allTextContents()).toEqual(['Cy'])
    await cy.messenger.markRead(conv)
    await expect.poll(() => ticks(page, 'gate code changed'), WAIT).toBe('Read by all 2')
    await expect.poll(() => panel.getByRole('list', { name: 'Read by' }).getByRole('listitem').allTextContents(), WAIT).toEqual(['Bot', 'Cy'])
    expect(await panel.getByRole('list', { name: 'Delivered to' }).count()).toBe(0)

    // Her own switch: off, she sees nobody's reading (and sends none); on again, it is back.
    await page.getByText('Read receipts: on').click()
    const sendReceipts = page.getByRole('checkbox', { name: 'Send read receipts' })
    await sendReceipts.uncheck()
    await page.getByText('Read receipts: off').waitFor(WAIT)
    await expect.poll(() => ticks(page, 'gate code changed'), WAIT).toBe('Delivered to all 2')
    expect(await panel.getByRole('list', { name: 'Read by' }).count()).toBe(0)
    await sendReceipts.check()
    await expect.poll(() => ticks(page, 'gate code changed'), WAIT).toBe('Read by all 2')

    // The organisation's policy (the conversation's admin sets it): read is hidden for everyone.
    await bot.messenger.team.setPolicy(conv, { readReceipts: false })
    await expect.poll(() => ticks(page, 'gate code changed'), WAIT).toBe('Delivered to all 2')
    await send(page, 'new code tomorrow')
    await expect.poll(() => ticks(page, 'new code tomorrow'), WAIT).toBe('Delivered to all 2')
    await bot.messenger.markRead(conv)
    await settle(page)
    expect(await ticks(page, 'new code tomorrow')).toBe('Delivered to all 2')
    expect(unexpectedErrors(alice)).toEqual([])
  }, 240_000)
})
