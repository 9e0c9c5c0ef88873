import { randomBytes } from 'node:crypto'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { WAIT, createConversation, messageTexts, onboard, openConversation, person, toLists, send, unexpectedErrors, useWorld } from './harness.js'
import { createOrganisation, inviteSomeone, joinOrganisation } from './orgSteps.js'

/**
 * [M29] The app lock in real Chromium: a passphrase, a passkey through Chromium's virtual
 * authenticator (CTAP2 with PRF, user verification), and auto-lock. Locked means the page shows
 * nothing of the store until the secret is given: after a reload the lock screen is all there is;
 * a wrong passphrase is said so and changes nothing; the right one brings the history back.
 */
const world = useWorld()
const tag = `LOCK${randomBytes(4).toString('hex')}`
const marker = (what: string) => `${tag}-${what}`
const PASS = 'correct horse battery staple'

const lockScreen = (page: Page) => page.getByRole('heading', { name: 'FieldChat is locked' })
const panel = (page: Page) => page.locator('details.app-lock')

async function openPanel(page: Page): Promise<void> {
  await toLists(page)
  const details = panel(page).first()
  if (!(await details.evaluate((d) => (d as HTMLDetailsElement).open))) await details.locator('summary').click()
}

async function setPassphrase(page: Page, passphrase: string): Promise<void> {
  await openPanel(page)
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase)
  await page.getByLabel('Repeat it').fill(passphrase)
  await page.getByRole('button', { name: 'Set passphrase' }).click()
  await expect.poll(() => panel(page).locator('summary').textContent(), WAIT).toContain('App lock: on (passphrase)')
}

describe('[M29] app lock', () => {
  it('[M29] passphrase: reload → locked, nothing shown; a wrong passphrase is refused; the right one brings the history back', async () => {
    const p = await person(world.browser, 'Lena', `${world.server.url}/`)
    const title = marker('title')
    const text = marker('text')
    await onboard(p.page, 'Lena')
    await createConversation(p.page, title)
    await send(p.page, text)
    await setPassphrase(p.page, PASS)
    // Still open right after setting it (restarted with the new secret), history there.
    await openConversation(p.page, title)
    await expect.poll(() => messageTexts(p.page), WAIT).toEqual([text])

    await p.page.reload()
    await lockScreen(p.page).waitFor()
    const body = (await p.page.textContent('body')) ?? ''
    expect(body).not.toContain(tag)
    expect(body).not.toContain('Lena')

    await p.page.getByLabel('Passphrase').fill('not the passphrase')
    await p.page.getByRole('button', { name: 'Unlock' }).click()
    await expect.poll(() => p.page.getByRole('alert').textContent(), WAIT).toContain('does not open it')
    await expect(lockScreen(p.page).isVisible()).resolves.toBe(true)

    await p.page.getByLabel('Passphrase').fill(PASS)
    await p.page.getByRole('button', { name: 'Unlock' }).click()
    // Back where it was locked (the address keeps the open conversation), with its history.
    await expect.poll(() => messageTexts(p.page), WAIT).toEqual([text])

    // Lock now: the lock screen again, the page holds nothing of the conversation.
    await openPanel(p.page)
    await p.page.getByRole('button', { name: 'Lock now' }).click()
    await lockScreen(p.page).waitFor()
    expect((await p.page.textContent('body')) ?? '').not.toContain(tag)
    expect(unexpectedErrors(p)).toEqual([])
    await p.context.close()
  }, 120_000)

  it('[M29] passkey (virtual authenticator with PRF): set up, reload → locked, unlocked by the passkey alone', async () => {
    const p = await person(world.browser, 'Piet', `${world.server.url}/`)
    const cdp = await p.context.newCDPSession(p.page)
    await cdp.send('WebAuthn.enable')
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, hasPrf: true, automaticPresenceSimulation: true },
    })
    const title = marker('passkey-title')
    const text = marker('passkey-text')
    await onboard(p.page, 'Piet')
    await createConversation(p.page, title)
    await send(p.page, text)
    await openPanel(p.page)
    await p.page.getByRole('button', { name: /Use a passkey/ }).click()
    await expect.poll(() => panel(p.page).locator('summary').textContent(), WAIT).toContain('App lock: on (passkey)')

    await p.page.reload()
    await lockScreen(p.page).waitFor()
    expect((await p.page.textContent('body')) ?? '').not.toContain(tag)
    await expect(p.page.getByLabel('Passphrase').count()).resolves.toBe(0)
    await p.page.getByRole('button', { name: 'Unlock with passkey' }).click()
    await openConversation(p.page, title)
    await expect.poll(() => messageTexts(p.page), WAIT).toEqual([text])
    expect(unexpectedErrors(p)).toEqual([])
    await p.context.close()
  }, 120_000)

  it('[M29] auto-lock: idle past the chosen time, the app locks itself; the lock can be removed again with the passphrase', async () => {
    const p = await person(world.browser, 'Ada', `${world.server.url}/`)
    const title = marker('idle-title')
    await onboard(p.page, 'Ada')
    await createConversation(p.page, title)
    await setPassphrase(p.page, PASS)
    await openConversation(p.page, title)
    // A few seconds, as the stored choice (the menu offers whole minutes).
    await p.page.evaluate(() => localStorage.setItem('fieldchat.autoLockMinutes', '0.05'))
    await p.page.reload()
    await lockScreen(p.page).waitFor()
    await p.page.getByLabel('Passphrase').fill(PASS)
    await p.page.getByRole('button', { name: 'Unlock' }).click()
    await p.page.getByRole('heading', { name: title, exact: true }).waitFor()
    await lockScreen(p.page).waitFor({ timeout: 30_000 })
    expect((await p.page.textContent('body')) ?? '').not.toContain(tag)

    await p.page.evaluate(() => localStorage.setItem('fieldchat.autoLockMinutes', '0'))
    await p.page.getByLabel('Passphrase').fill(PASS)
    await p.page.getByRole('button', { name: 'Unlock' }).click()
    await openPanel(p.page)
    await p.page.getByLabel('Current passphrase (to change the lock)').fill(PASS)
    await p.page.getByRole('button', { name: 'Remove the lock' }).click()
    await expect.poll(() => panel(p.page).locator('summary').textContent(), WAIT).toContain('App lock: off')
    await openConversation(p.page, title)
    await p.page.reload()
    await p.page.getByRole('heading', { name: title, exact: true }).waitFor()
    expect(await lockScreen(p.page).count()).toBe(0)
    expect(unexpectedErrors(p)).toEqual([])
    await p.context.close()
  }, 120_000)
})

describe('[T21] the organisation\'s device policy', () => {
  it('[T21][M29] an admin requires an app lock: a member\'s app asks for one before anything else and will not remove it', async () => {
    const url = `${world.server.url}/`
    const admin = await person(world.browser, 'Admin', url)
    await onboard(admin.page, 'Admin')
    await createOrganisation(admin.page, marker('org'))
    const member = await person(world.browser, 'Mia', url)
    await joinOrganisation(member, await inviteSomeone(admin.page), marker('org'))
    await member.page.getByRole('link', { name: marker('org') }).first().waitFor({ timeout: 30_000 })
    // A conversation of the member's own, with its newest messages saved ([M13a]) for a first paint.
    await toLists(member.page)
    await createConversation(member.page, 'Notes')
    await send(member.page, 'my private note')
    await member.page.waitForTimeout(1_500)
    const notes = await member.page.evaluate(() => location.hash)

    await admin.page.getByLabel('Require an app lock').check()
    await expect.poll(() => admin.page.getByLabel('Require an app lock').isChecked(), WAIT).toBe(true)
    // The member's app: the lock settings, open, in place of the app.
    await member.page.getByText('Your organisation requires an app lock on this device').waitFor({ timeout: 30_000 })
    await expect(member.page.locator('main.app-main').isHidden()).resolves.toBe(true)
    // [W39] Reopened on that conversation with no lock set yet: nothing of it is painted first either.
    await member.context.addInitScript(() => {
      new MutationObserver(() => {
        if (document.querySelector('[data-testid="boot-preview"]')) (window as { painted?: boolean }).painted = true
      }).observe(document, { subtree: true, childList: true })
    })
    await member.page.goto(`${url}${notes}`)
    await member.page.reload()
    await member.page.getByText('Your organisation requires an app lock on this device').waitFor({ timeout: 30_000 })
    expect(await member.page.evaluate(() => (window as { painted?: boolean }).painted ?? false)).toBe(false)
    await member.page.getByLabel('Passphrase', { exact: true }).fill(PASS)
    await member.page.getByLabel('Repeat it').fill(PASS)
    await member.page.getByRole('button', { name: 'Set passphrase' }).click()
    await expect.poll(() => member.page.locator('main.app-main').isHidden(), WAIT).toBe(false)
    await openPanel(member.page)
    await expect(member.page.getByRole('button', { name: 'Remove the lock' }).count()).resolves.toBe(0)
    await member.page.reload()
    await lockScreen(member.page).waitFor()
    expect([...unexpectedErrors(admin), ...unexpectedErrors(member)]).toEqual([])
    await admin.context.close()
    await member.context.close()
  }, 120_000)

  it('[T21][M58][M61][M67] an admin turns read receipts off, limits disappearing messages and hides notification text: every member\'s app shows it', async () => {
    const url = `${world.server.url}/`
    const org = marker('org-msgs')
    const admin = await person(world.browser, 'Ada', url)
    await onboard(admin.page, 'Ada')
    await createOrganisation(admin.page, org)
    const member = await person(world.browser, 'Max', url)
    await joinOrganisation(member, await inviteSomeone(admin.page), org)
    await member.page.getByRole('link', { name: org }).first().waitFor({ timeout: 30_000 })

    const receipts = admin.page.getByLabel('Allow read receipts')
    expect(await receipts.isChecked()).toBe(true)
    await receipts.uncheck()
    await expect.poll(() => receipts.isChecked(), WAIT).toBe(false)
    await admin.page.getByLabel('Messages disappear after at most').selectOption({ label: '1 day' })
    await expect.poll(() => admin.page.getByLabel('Messages disappear after at most').inputValue(), WAIT).toBe('86400')
    await admin.page.getByLabel('Notifications may show').selectOption('sender')
    await expect.poll(() => admin.page.getByLabel('Notifications may show').inputValue(), WAIT).toBe('sender')

    // The member's device enforces what it was told, and shows it on the organisation's page.
    await member.page.getByRole('link', { name: org }).first().click()
    const policy = member.page.getByRole('region', { name: 'Device policy' })
    await expect.poll(() => policy.innerText(), { timeout: 30_000 }).toContain('Read receipts: off for everyone')
    const text = await policy.innerText()
    expect(text).toContain('Disappearing messages: at most 1 day')
    expect(text).toContain('Notifications may show: sender only, no text')
    expect(await member.page.getByLabel('Allow read receipts').count()).toBe(0) // only admins change it
    expect([...unexpectedErrors(admin), ...unexpectedErrors(member)]).toEqual([])
    await admin.context.close()
    await member.context.close()
  }, 120_000)
})
