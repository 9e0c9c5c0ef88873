import { generateRecoveryKey, recoveryKeyText } from '../../crypto/index.js'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { WAIT, createConversation, inviteLink, joinConversation, messageTexts, onboard, openConversation, person, send, settledTexts, toLists, unexpectedErrors, useWorld } from './harness.js'

/**
 * [M32] Recovery in real Chromium: Bob makes his recovery key in the app, Ana's device rotates his
 * recovery device in; Bob's only browser is then gone. A new browser context given the key on its
 * first screen becomes Bob again: the conversation and its whole history are back, and he writes
 * as Bob. A random well-formed key gets M513 and changes nothing.
 */
const world = useWorld()
const uploaded = (page: Page) => page.locator('details.recovery').getAttribute('data-uploaded').then(Number)

async function recoverWith(page: Page, key: string): Promise<void> {
  await page.getByText('I have a recovery key').click()
  await page.getByLabel('Recovery key').fill(key)
  await page.getByRole('button', { name: 'Recover my profile' }).click()
}

describe('[M32] recovery in the browser', () => {
  it('[M32] every browser of a person lost: the recovery key brings back the conversation and its whole history; the key is then spent', async () => {
    const url = `${world.server.url}/`
    const ana = await person(world.browser, 'Ana', url)
    await onboard(ana.page, 'Ana')
    await createConversation(ana.page, 'Depot night')
    await send(ana.page, 'before the key, from Ana')
    const bob = await person(world.browser, 'Bob', url)
    await joinConversation(bob, await inviteLink(ana.page), 'Depot night')
    await send(bob.page, 'before the key, from Bob')

    await toLists(bob.page)
    await bob.page.locator('details.recovery summary').click()
    await bob.page.getByRole('button', { name: 'Create my recovery key' }).click()
    const key = (await bob.page.getByTestId('recovery-key').textContent())!.trim()
    expect(key).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){13}[0-9A-HJKMNP-TV-Z]$/)
    await expect(bob.page.getByRole('img', { name: 'Recovery key as a QR code' }).count()).resolves.toBe(1)
    await bob.page.getByRole('button', { name: 'I have kept it' }).click()
    await expect(bob.page.getByTestId('recovery-key').count()).resolves.toBe(0)
    await openConversation(bob.page, 'Depot night')

    // Ana's device rotates the recovery device in: the blob changes (its box) and is written again.
    await expect.poll(() => uploaded(bob.page), { ...WAIT, timeout: 45_000 }).toBeGreaterThan(0)
    const first = await uploaded(bob.page)
    await expect.poll(() => uploaded(bob.page), { ...WAIT, timeout: 45_000 }).toBeGreaterThan(first)
    await send(ana.page, 'after the key, from Ana')
    await expect.poll(() => settledTexts(bob), WAIT).toContain('after the key, from Ana')
    const bobErrors = unexpectedErrors(bob)
    await bob.context.close() // Bob's only browser is gone

    const wrong = await person(world.browser, 'Nobody', url)
    await recoverWith(wrong.page, recoveryKeyText(generateRecoveryKey()))
    await expect.poll(() => wrong.page.getByRole('alert').first().textContent(), WAIT).toContain('No recovery data matches')
    await expect(wrong.page.getByRole('textbox', { name: 'Display name' }).count()).resolves.toBe(1)
    await wrong.context.close()

    const again = await person(world.browser, 'Bob again', url)
    await recoverWith(again.page, key)
    await openConversation(again.page, 'Depot night')
    await expect.poll(() => messageTexts(again.page), { ...WAIT, timeout: 60_000 }).toEqual(['before the key, from Ana', 'before the key, from Bob', 'after the key, from Ana'])
    await send(again.page, 'back, from Bob')
    await expect.poll(() => settledTexts(ana), WAIT).toContain('back, from Bob')
    expect(await ana.page.getByText('Bob', { exact: true }).count()).toBeGreaterThan(0)

    // The key is spent.
    const twice = await person(world.browser, 'Bob twice', url)
    await recoverWith(twice.page, key)
    await expect.poll(() => twice.page.getByRole('alert').first().textContent(), WAIT).toContain('No recovery data matches')
    expect([...bobErrors, ...unexpectedErrors(again), ...unexpectedErrors(ana)]).toEqual([])
    for (const p of [ana, again, twice]) await p.context.close()
  }, 180_000)
})
