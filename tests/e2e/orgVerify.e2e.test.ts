import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { ClientErrorCode, clientErrorText } from '../../client/core/errors.js'
import { WAIT, onboard, person, unexpectedErrors, useWorld } from './harness.js'
import { createOrganisation, inviteSomeone, joinOrganisation } from './orgSteps.js'

/** [T12][V1] The organisation page: invitations with a QR code, and verifying a colleague's keys. */
const world = useWorld()

const ORG = 'Harbour Works'

const safetyDigits = async (page: Page, name: string): Promise<string[]> =>
  page.getByRole('group', { name: `Safety number with ${name}` }).locator('span').allTextContents()

describe('organisation invitations and verification', () => {
  it('[T12][V1] shows the invitation as a link and a QR code, and both people see the same 60-digit safety number', async () => {
    const admin = await person(world.browser, 'Admin', `${world.server.url}/`)
    const bob = await person(world.browser, 'Bob', `${world.server.url}/`)
    await onboard(admin.page, 'Admin')
    await createOrganisation(admin.page, ORG)

    // The invitation: link, copy button, QR code of that link, expiry, and the open list with Revoke.
    const spare = await inviteSomeone(admin.page)
    const qr = admin.page.getByRole('img', { name: 'QR code of the invitation link' })
    await qr.waitFor()
    expect(await qr.evaluate((el) => el.tagName.toLowerCase())).toBe('svg')
    expect(await qr.locator('path').getAttribute('d')).toMatch(/^(M\d+ \d+h\d+v1h-\d+z)+$/)
    expect(await admin.page.getByRole('button', { name: 'Copy link' }).count()).toBe(1)
    await admin.page.getByText(/^Expires /).waitFor()
    const open = admin.page.getByRole('list', { name: 'Open invitations' })
    await expect.poll(() => open.getByRole('listitem').count(), WAIT).toBe(1)

    // A second invitation for Bob; the first is revoked and no longer listed.
    const link = await inviteSomeone(admin.page)
    expect(link).not.toBe(spare)
    await expect.poll(() => open.getByRole('listitem').count(), WAIT).toBe(2)
    await open.getByRole('listitem').first().getByRole('button', { name: 'Revoke' }).click()
    await expect.poll(() => open.getByRole('listitem').count(), WAIT).toBe(1)

    await joinOrganisation(bob, link, ORG)
    await bob.page.getByRole('navigation', { name: 'Organisations' }).getByRole('link', { name: ORG, exact: true }).click({ timeout: WAIT.timeout })
    await bob.page.getByRole('heading', { name: ORG, exact: true }).waitFor()
    // Bob is no admin: no invitations, no admin actions.
    expect(await bob.page.getByRole('button', { name: 'Invite someone' }).count()).toBe(0)
    expect(await bob.page.getByRole('button', { name: 'Make Admin admin' }).count()).toBe(0)
    await expect.poll(() => admin.page.getByRole('list', { name: 'People' }).getByRole('listitem').count(), WAIT).toBe(2)

    // Verify: 12 groups of 5 digits, the same on both screens.
    await admin.page.getByRole('button', { name: 'Verify Bob' }).click()
    await bob.page.getByRole('button', { name: 'Verify Admin' }).click()
    const adminSees = await safetyDigits(admin.page, 'Bob')
    const bobSees = await safetyDigits(bob.page, 'Admin')
    expect(adminSees).toHaveLength(12)
    for (const g of adminSees) expect(g).toMatch(/^\d{5}$/)
    expect(adminSees.join('')).toHaveLength(60)
    expect(bobSees).toEqual(adminSees)

    // The code Bob shows (as text, what a scanner hands over) checks out on the admin's screen.
    const bobCode = await bob.page.getByRole('textbox', { name: 'Your code as text' }).inputValue()
    await admin.page.getByRole('textbox', { name: 'Code scanned from Bob' }).fill(bobCode)
    await admin.page.getByRole('button', { name: 'Check', exact: true }).click()
    await admin.page.getByText('Keys match').waitFor()
    await admin.page.getByRole('textbox', { name: 'Code scanned from Bob' }).fill(await admin.page.getByRole('textbox', { name: 'Your code as text' }).inputValue())
    await admin.page.getByRole('button', { name: 'Check', exact: true }).click()
    await admin.page.getByText('Keys do NOT match').waitFor()

    // Admin actions on Bob's row: make admin, then a two-step removal from the organisation.
    await admin.page.getByRole('button', { name: 'Make Bob admin' }).click()
    await expect.poll(() => admin.page.getByRole('button', { name: 'Make Bob admin' }).count(), WAIT).toBe(0)
    await expect.poll(() => bob.page.getByRole('button', { name: 'Invite someone' }).count(), WAIT).toBe(1)
    await admin.page.getByRole('button', { name: 'Remove Bob from organisation' }).click()
    // The confirm step says what the removal does to keys and messages.
    await admin.page.getByText('Bob leaves the organisation and every group in it', { exact: false }).waitFor()
    await admin.page.getByRole('button', { name: 'Confirm remove Bob' }).click()
    await expect.poll(() => admin.page.getByRole('list', { name: 'People' }).getByRole('listitem').count(), WAIT).toBe(1)

    expect(JSON.stringify(await admin.page.getByRole('alert').allTextContents())).toBe('[]')
    expect(unexpectedErrors(admin)).toEqual([])
  }, 240_000)

  it('[M100] a damaged organisation invitation link shows the coded error and no Join button', async () => {
    const admin = await person(world.browser, 'Admin2', `${world.server.url}/`)
    await onboard(admin.page, 'Admin2')
    await createOrganisation(admin.page, 'Damaged Links Ltd')
    const link = await inviteSomeone(admin.page)
    const carol = await person(world.browser, 'Carol', `${world.server.url}/`)
    await onboard(carol.page, 'Carol')
    const cut = link.slice(0, link.indexOf('#org=') + Math.floor((link.length - link.indexOf('#org=')) / 2))
    await carol.page.goto(cut)
    const alert = carol.page.getByRole('alert').filter({ hasText: clientErrorText[ClientErrorCode.INVITE_MALFORMED] })
    await alert.waitFor()
    await carol.page.reload()
    await alert.waitFor()
    expect(await carol.page.getByRole('button', { name: /^Join/ }).count()).toBe(0)
    await carol.page.getByRole('link', { name: 'Back to conversations' }).click()
    await carol.page.getByRole('navigation', { name: 'Organisations' }).waitFor()
    expect(await carol.page.getByText('Waiting for an admin to let you in').count()).toBe(0)
    expect([...unexpectedErrors(admin), ...unexpectedErrors(carol)]).toEqual([])
  }, 120_000)
})
