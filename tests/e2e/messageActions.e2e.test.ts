import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Page } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { clockBot, type ClockBot } from './clockBot.js'
import {
  WAIT, createConversation, inviteLink, joinConversation, log, messageTexts, onboard, openConversation, person, send, statusText,
  unexpectedErrors, type Person, useWorld,
} from './harness.js'

/**
 * [W15]–[W19] Message actions in the PWA, like a phone's messenger: Alice and Bob in two browser
 * contexts (phone-sized), against the real server and the built PWA. Each step is done on one
 * screen through the actions menu and checked on both. The tests run in order on one
 * conversation ("Dock 4"); the last one adds a Node device that writes a long history.
 */
const world = useWorld()
let alice: Person
let bob: Person
const bots: ClockBot[] = []
afterAll(async () => {
  for (const b of bots) await b.close()
})

const row = (page: Page, text: string) =>
  log(page).locator('li[data-kind="message"]').filter({ has: page.getByTestId('message-text').getByText(text, { exact: true }) })
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
/** As in a11y.e2e.test.ts: axe's source evaluated through DevTools (the CSP allows no inline script). */
async function seriousViolations(page: Page): Promise<{ id: string; impact: string | null; nodes: string[] }[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE)
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown[] }[] }[] }> } }).axe
    const result = await axe.run(document, { resultTypes: ['violations'] })
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => JSON.stringify(n.target)) }))
  })
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical')
}

/**
 * Brings a message's row into the DOM (the log is virtualised: rows far from the view are not
 * there): from the bottom, up half a screen at each look, round again from the bottom.
 */
async function reveal(page: Page, text: string): Promise<void> {
  let step = 0
  await expect
    .poll(async () => {
      // The list may move on (a message arriving at the bottom): the row counts once it is scrolled to.
      if (await row(page, text).count()) return row(page, text).scrollIntoViewIfNeeded({ timeout: 2000 }).then(() => true, () => false)
      await log(page).evaluate((el, step) => {
        el.scrollTop = step === 0 || el.scrollTop <= 0 ? el.scrollHeight : el.scrollTop - el.clientHeight / 2
      }, step++)
      return false
    }, WAIT)
    .toBe(true)
}
/** Opens a message's actions ("Actions for message from Alice", or "… from you"). */
async function actions(page: Page, text: string, from: string): Promise<void> {
  await reveal(page, text)
  const button = row(page, text).getByRole('button', { name: `Actions for message from ${from}` })
  await button.waitFor(WAIT)
  if ((await button.getAttribute('aria-expanded')) !== 'true') await button.click()
  await row(page, text).getByRole('group', { name: `Actions for message from ${from}` }).waitFor(WAIT)
}
const chip = (page: Page, text: string, emoji: string) => row(page, text).getByRole('list', { name: 'Reactions' }).getByRole('button', { name: new RegExp(`^${emoji} `) })
async function chipName(page: Page, text: string, emoji: string): Promise<string | null> {
  await reveal(page, text)
  return (await chip(page, text, emoji).count()) ? chip(page, text, emoji).getAttribute('aria-label') : null
}
const box = (page: Page) => page.getByRole('textbox', { name: 'Message', exact: true })

async function inView(page: Page, text: string): Promise<boolean> {
  const item = row(page, text)
  if (!(await item.count())) return false
  const [b, area] = await Promise.all([item.boundingBox(), log(page).boundingBox()])
  return !!b && !!area && b.y >= area.y - 1 && b.y + b.height <= area.y + area.height + 1
}

/** The tests' common start (expect.poll needs a test): Alice invites Bob to "Dock 4"; she also has "Yard". */
async function setUp(): Promise<void> {
  alice = await person(world.browser, 'Alice', `${world.server.url}/`)
  bob = await person(world.browser, 'Bob', `${world.server.url}/`)
  await onboard(alice.page, 'Alice')
  await createConversation(alice.page, 'Yard')
  await alice.page.getByRole('link', { name: 'Back to conversations' }).click()
  await createConversation(alice.page, 'Dock 4')
  await joinConversation(bob, await inviteLink(alice.page), 'Dock 4')
  await alice.page.getByRole('button', { name: 'Invite', exact: true }).click() // the panel closes: the log has the room
  await send(alice.page, 'crane is down')
  await row(bob.page, 'crane is down').waitFor(WAIT)
}

describe('message actions, two people', () => {
  it('Alice invites Bob to a conversation', setUp, 180_000)

  it('[W15] reply: the composer says what is answered, both see the quote, and the quote jumps to the original', async () => {
    await actions(bob.page, 'crane is down', 'Alice')
    await row(bob.page, 'crane is down').getByRole('button', { name: 'Reply', exact: true }).click()
    const banner = bob.page.getByRole('group', { name: 'Reply' })
    expect(await banner.textContent()).toContain('Replying to Alice: crane is down')
    // Focus went to the composer: typing writes the reply; Cancel would leave reply mode.
    await expect.poll(() => bob.page.evaluate(() => document.activeElement?.id), WAIT).toBe('composer-text')
    for (let i = 1; i <= 12; i++) await send(alice.page, `filler ${i}`)
    await row(bob.page, 'filler 12').waitFor(WAIT)
    await send(bob.page, 'on my way')
    await expect.poll(() => banner.count(), WAIT).toBe(0)

    for (const p of [alice, bob]) {
      const quote = row(p.page, 'on my way').getByRole('button', { name: 'In reply to Alice: crane is down' })
      await quote.waitFor(WAIT)
    }
    // The original is scrolled away on Alice's phone; the quote brings it back.
    await expect.poll(() => inView(alice.page, 'on my way'), WAIT).toBe(true)
    expect(await inView(alice.page, 'crane is down')).toBe(false)
    await row(alice.page, 'on my way').getByRole('button', { name: 'In reply to Alice: crane is down' }).click()
    await expect.poll(() => inView(alice.page, 'crane is down'), WAIT).toBe(true)

    // Cancel leaves reply mode without sending.
    await actions(bob.page, 'on my way', 'you')
    await row(bob.page, 'on my way').getByRole('button', { name: 'Reply', exact: true }).click()
    await bob.page.getByRole('button', { name: 'Cancel reply' }).click()
    expect(await bob.page.getByRole('group', { name: 'Reply' }).count()).toBe(0)
  }, 180_000)

  it('[W16] reactions: chips with counts and names on both sides; one\'s own is pressed and pressing it takes it back', async () => {
    await actions(alice.page, 'on my way', 'Bob')
    await alice.page.getByRole('button', { name: 'React with 👍' }).click()
    for (const p of [alice, bob]) await expect.poll(() => chipName(p.page, 'on my way', '👍'), WAIT).toBe('👍 1: Alice')
    expect(await chip(alice.page, 'on my way', '👍').getAttribute('aria-pressed')).toBe('true')
    expect(await chip(bob.page, 'on my way', '👍').getAttribute('aria-pressed')).toBe('false')

    // Bob joins in by pressing the chip; Alice takes hers back by pressing hers.
    await chip(bob.page, 'on my way', '👍').click()
    for (const p of [alice, bob]) await expect.poll(() => chipName(p.page, 'on my way', '👍'), WAIT).toBe('👍 2: Alice, Bob')
    await chip(alice.page, 'on my way', '👍').click()
    for (const p of [alice, bob]) await expect.poll(() => chipName(p.page, 'on my way', '👍'), WAIT).toBe('👍 1: Bob')
    expect(await chip(alice.page, 'on my way', '👍').getAttribute('aria-pressed')).toBe('false')
  }, 120_000)

  it('[W17] edit: the composer holds the text, the other side sees the new text marked "edited" with its history', async () => {
    // Only one's own messages offer Edit and Delete for everyone.
    await actions(bob.page, 'crane is down', 'Alice')
    expect(await row(bob.page, 'crane is down').getByRole('button', { name: 'Edit', exact: true }).count()).toBe(0)
    expect(await row(bob.page, 'crane is down').getByRole('button', { name: 'Delete for everyone' }).count()).toBe(0)
    await bob.page.keyboard.press('Escape')
    await expect.poll(() => row(bob.page, 'crane is down').getByRole('group', { name: 'Actions for message from Alice' }).count(), WAIT).toBe(0)

    await actions(bob.page, 'on my way', 'you')
    await row(bob.page, 'on my way').getByRole('button', { name: 'Edit', exact: true }).click()
    await expect.poll(() => box(bob.page).inputValue(), WAIT).toBe('on my way')
    await bob.page.getByRole('group', { name: 'Edit' }).waitFor(WAIT)
    await box(bob.page).fill('on my way, 5 min')
    await box(bob.page).press('Enter')
    for (const p of [alice, bob]) {
      await expect.poll(() => reveal(p.page, 'on my way, 5 min').then(() => row(p.page, 'on my way, 5 min').getByText('edited', { exact: true }).count()), WAIT).toBe(1)
    }
    await row(alice.page, 'on my way, 5 min').getByText('edited', { exact: true }).click()
    expect(await row(alice.page, 'on my way, 5 min').getByRole('list', { name: 'Earlier versions' }).textContent()).toContain('on my way')
    // The reactions and the quote stay with the edited message.
    expect(await chipName(alice.page, 'on my way, 5 min', '👍')).toBe('👍 1: Bob')
    expect(await messageTexts(bob.page)).not.toContain('on my way')
  }, 120_000)

  it('[W18] delete for everyone takes two steps and leaves a placeholder on both sides', async () => {
    await send(alice.page, 'wrong dock, sorry')
    await row(bob.page, 'wrong dock, sorry').waitFor(WAIT)
    await actions(alice.page, 'wrong dock, sorry', 'you')
    await row(alice.page, 'wrong dock, sorry').getByRole('button', { name: 'Delete for everyone' }).click()
    await row(alice.page, 'wrong dock, sorry').getByRole('button', { name: 'Cancel deleting' }).click()
    await row(alice.page, 'wrong dock, sorry').getByRole('button', { name: 'Delete for everyone' }).click()
    await row(alice.page, 'wrong dock, sorry').getByRole('button', { name: 'Confirm delete for everyone' }).click()
    for (const p of [alice, bob]) {
      await expect.poll(() => row(p.page, 'wrong dock, sorry').count(), WAIT).toBe(0)
      await expect.poll(async () => (await messageTexts(p.page)).at(-1), WAIT).toBe('This message was deleted')
    }
  }, 120_000)

  it('[W18] pins: a bar at the top lists the pinned message for both; pressing it jumps there; unpinned, it goes', async () => {
    await actions(bob.page, 'crane is down', 'Alice')
    await row(bob.page, 'crane is down').getByRole('button', { name: 'Pin', exact: true }).click()
    const pinned = (page: Page) => page.getByRole('navigation', { name: 'Pinned messages' }).getByRole('button', { name: 'Pinned message from Alice: crane is down' })
    for (const p of [alice, bob]) await pinned(p.page).waitFor(WAIT)
    await log(alice.page).evaluate((el) => el.scrollTo({ top: el.scrollHeight }))
    await expect.poll(() => inView(alice.page, 'crane is down'), WAIT).toBe(false)
    await pinned(alice.page).click()
    await expect.poll(() => inView(alice.page, 'crane is down'), WAIT).toBe(true)

    await actions(alice.page, 'crane is down', 'you')
    await row(alice.page, 'crane is down').getByRole('button', { name: 'Unpin', exact: true }).click()
    for (const p of [alice, bob]) await expect.poll(() => p.page.getByRole('navigation', { name: 'Pinned messages' }).count(), WAIT).toBe(0)
  }, 120_000)

  it('[W19] mentions: "@" offers the members, arrows and Enter choose, the mention is marked and emphasised for the one named', async () => {
    const b = box(alice.page)
    await b.fill('')
    await b.focus()
    await b.pressSequentially('gate: @b')
    const list = alice.page.getByRole('listbox', { name: 'Mention someone' })
    await list.waitFor(WAIT)
    expect(await list.getByRole('option').allTextContents()).toEqual(['Bob'])
    expect(await list.getByRole('option', { name: 'Bob' }).getAttribute('aria-selected')).toBe('true')
    await b.press('Enter')
    await expect.poll(() => b.inputValue(), WAIT).toBe('gate: @Bob ')
    expect(await list.count()).toBe(0)
    await b.pressSequentially('please check')
    await b.press('Enter')
    await row(alice.page, 'gate: @Bob please check').waitFor(WAIT)
    await reveal(bob.page, 'gate: @Bob please check')
    await expect.poll(() => row(bob.page, 'gate: @Bob please check').locator('strong.mention.me').textContent(), WAIT).toBe('@Bob')
    expect(await row(bob.page, 'gate: @Bob please check').getByText('Mentions you').count()).toBe(1)
    expect(await row(alice.page, 'gate: @Bob please check').locator('strong.mention').textContent()).toBe('@Bob')
    expect(await row(alice.page, 'gate: @Bob please check').locator('strong.mention.me').count()).toBe(0)

    // Escape closes the list; what was typed stays and is sent as text.
    await b.pressSequentially('@Bo')
    await list.waitFor(WAIT)
    await b.press('Escape')
    await expect.poll(() => list.count(), WAIT).toBe(0)
    await b.fill('')
  }, 120_000)

  it('[W15][M44] forward: the text goes to another conversation, marked "Forwarded"; a message with a file is sent again there, file and all', async () => {
    await actions(alice.page, 'crane is down', 'you')
    await row(alice.page, 'crane is down').getByRole('button', { name: 'Forward', exact: true }).click()
    await row(alice.page, 'crane is down').getByRole('button', { name: 'Forward to Yard' }).click()
    await expect.poll(() => row(alice.page, 'crane is down').getByRole('group', { name: /^Actions for message/ }).count(), WAIT).toBe(0)

    await alice.page.getByLabel('Attach files').setInputFiles([{ name: 'manifest.txt', mimeType: 'text/plain', buffer: Buffer.from('pallets: 12\n') }])
    await box(alice.page).fill('the manifest')
    await expect.poll(() => alice.page.getByRole('button', { name: 'Send', exact: true }).isEnabled(), WAIT).toBe(true)
    await alice.page.getByRole('button', { name: 'Send', exact: true }).click()
    await row(alice.page, 'the manifest').waitFor(WAIT)
    await actions(alice.page, 'the manifest', 'you')
    await row(alice.page, 'the manifest').getByRole('button', { name: 'Forward', exact: true }).click()
    await row(alice.page, 'the manifest').getByRole('button', { name: 'Forward to Yard' }).click()
    // [M44] Its file is fetched, sealed anew for Yard and sent there with the text as caption.
    await expect.poll(() => row(alice.page, 'the manifest').getByRole('group', { name: /^Actions for message/ }).count(), WAIT).toBe(0)

    await openConversation(alice.page, 'Yard')
    await row(alice.page, 'crane is down').waitFor(WAIT)
    await row(alice.page, 'the manifest').waitFor(WAIT)
    expect(await row(alice.page, 'crane is down').getByText('Forwarded', { exact: true }).count()).toBe(1)
    expect(await row(alice.page, 'the manifest').getByText('Forwarded', { exact: true }).count()).toBe(1)
    expect(await row(alice.page, 'the manifest').getByText('manifest.txt', { exact: true }).count()).toBeGreaterThan(0)
    expect(await messageTexts(alice.page)).toEqual(['crane is down', 'the manifest'])
    await openConversation(alice.page, 'Dock 4')
  }, 120_000)

  it('[W16][W17] offline: Bob reacts and edits without a network; back online, both screens converge', async () => {
    await expect.poll(() => statusText(bob.page), WAIT).toContain('Online')
    await bob.context.setOffline(true)
    await expect.poll(() => statusText(bob.page), WAIT).toContain('Offline')
    await actions(bob.page, 'crane is down', 'Alice')
    await bob.page.getByRole('button', { name: 'React with ❤️' }).click()
    await expect.poll(() => chipName(bob.page, 'crane is down', '❤️'), WAIT).toBe('❤️ 1: Bob')
    await actions(bob.page, 'on my way, 5 min', 'you')
    await row(bob.page, 'on my way, 5 min').getByRole('button', { name: 'Edit', exact: true }).click()
    await expect.poll(() => box(bob.page).inputValue(), WAIT).toBe('on my way, 5 min')
    await box(bob.page).fill('here now')
    await box(bob.page).press('Enter')
    await reveal(bob.page, 'here now')
    await expect.poll(() => bob.page.getByRole('status', { name: 'Delivery' }).textContent(), WAIT).toMatch(/waiting to be sent/)
    // Meanwhile Alice reacts too.
    await actions(alice.page, 'crane is down', 'you')
    await alice.page.getByRole('button', { name: 'React with ❤️' }).click()

    await bob.context.setOffline(false)
    for (const p of [alice, bob]) {
      await expect.poll(() => chipName(p.page, 'crane is down', '❤️'), WAIT).toMatch(/^❤️ 2: (Bob, Alice|Alice, Bob)$/)
      await expect.poll(() => reveal(p.page, 'here now').then(() => row(p.page, 'here now').getByText('edited', { exact: true }).count()), WAIT).toBe(1)
    }
    // The newest messages (the log holds only the rows near the view: each side scrolled to the bottom).
    const newest = async (page: Page) => {
      await log(page).evaluate((el) => (el.scrollTop = el.scrollHeight))
      return (await messageTexts(page)).slice(-5)
    }
    await expect.poll(() => newest(alice.page), WAIT).toEqual(await newest(bob.page))
    await expect.poll(() => chipName(alice.page, 'crane is down', '❤️'), WAIT).toBe(await chipName(bob.page, 'crane is down', '❤️'))
    expect(JSON.stringify(await alice.page.getByRole('alert').allTextContents())).toBe('[]')
    expect(JSON.stringify(await bob.page.getByRole('alert').allTextContents())).toBe('[]')
    expect([...unexpectedErrors(alice), ...unexpectedErrors(bob)]).toEqual([])
  }, 180_000)

  it('[W15] on a touch screen a long press on a message opens its actions', async () => {
    const { page } = alice
    await reveal(page, 'here now')
    const body = row(page, 'here now').locator('.message-body')
    await body.dispatchEvent('pointerdown', { pointerType: 'touch', isPrimary: true, clientX: 10, clientY: 10 })
    const group = row(page, 'here now').getByRole('group', { name: 'Actions for message from Bob' })
    await group.waitFor(WAIT)
    await body.dispatchEvent('pointerup', { pointerType: 'touch', isPrimary: true })
    await row(page, 'here now').getByRole('button', { name: 'Reply', exact: true }).waitFor(WAIT)
    await group.getByRole('button', { name: 'React with 👍' }).press('Escape')
    await expect.poll(() => group.count(), WAIT).toBe(0)
    // The focus went back to the button that stands for the actions.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Actions for message from Bob')
  }, 60_000)

  it('[W14] axe finds no serious or critical violation with a pinned bar, reaction chips, a quote, reply mode, the mention list and open actions', async () => {
    const { page } = alice
    await actions(page, 'crane is down', 'you')
    await row(page, 'crane is down').getByRole('button', { name: 'Pin', exact: true }).click()
    await page.getByRole('navigation', { name: 'Pinned messages' }).waitFor(WAIT)
    await actions(page, 'here now', 'Bob')
    await row(page, 'here now').getByRole('button', { name: 'Reply', exact: true }).click()
    await page.getByRole('group', { name: 'Reply' }).waitFor(WAIT)
    await box(page).pressSequentially('@B')
    await page.getByRole('listbox', { name: 'Mention someone' }).waitFor(WAIT)
    await actions(page, 'here now', 'Bob')
    expect(await seriousViolations(page)).toEqual([])

    await page.keyboard.press('Escape')
    await page.getByRole('button', { name: 'Cancel reply' }).click()
    await box(page).fill('')
  }, 120_000)

  it('[W15] a quote of a message in an older segment loads the earlier segments and jumps there', async () => {
    await alice.page.getByRole('link', { name: 'Back to conversations' }).click()
    await createConversation(alice.page, 'Archive room')
    const bot = await clockBot('Bot', world.server.url, { segmentCapacity: 40 })
    bots.push(bot)
    const conv = await bot.join(await inviteLink(alice.page))
    await alice.page.getByRole('button', { name: 'Invite', exact: true }).click()
    const first = await bot.messenger.send(conv, 'the very first')
    for (let i = 1; i <= 100; i++) await bot.messenger.send(conv, `m ${i}`)
    await bot.messenger.send(conv, 'answering the first', { replyTo: first.ref })
    await row(alice.page, 'answering the first').waitFor(WAIT)
    // Read while they arrived (opened with unread messages, the list would start at the first of them).
    await expect.poll(() => alice.page.title(), WAIT).toBe('FieldChat')

    // After a reload only the newest segment is loaded: the quote says it answers an earlier message.
    await alice.page.reload()
    await row(alice.page, 'answering the first').waitFor(WAIT)
    const quote = row(alice.page, 'answering the first').getByRole('button', { name: /^In reply to/ })
    await quote.waitFor(WAIT)
    expect(await row(alice.page, 'the very first').count()).toBe(0)
    await quote.click()
    await expect.poll(() => inView(alice.page, 'the very first'), WAIT).toBe(true)
    expect(unexpectedErrors(alice)).toEqual([])
  }, 240_000)
})
