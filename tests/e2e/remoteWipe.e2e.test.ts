import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { WAIT, messageTexts, onboard, openConversation, person, send, statusText, unexpectedErrors, useWorld, type Person } from './harness.js'
import { createOrganisation, inviteSomeone, joinOrganisation } from './orgSteps.js'

/**
 * [M30] Remote wipe in Chromium, against the real server and the built PWA. Admin and Bob are in
 * an organisation and one of its groups and have written in both. Bob's browser goes offline;
 * meanwhile Admin removes Bob from the organisation. When Bob's browser is back online it learns
 * of the removal, deletes the organisation's data, and says so; neither the organisation, its
 * conversations nor anything written in them is on Bob's screen any more — not after a reload
 * either.
 */
const world = useWorld()

const ORG = 'Wipe Depots'
const GROUP = 'Yard crew'
const IN_ORG = 'org-marker 5c1e everyone'
const IN_GROUP = 'group-marker 8a2f yard'
const FROM_BOB = 'bob-marker 77d0 checking in'
const MARKERS = [IN_ORG, IN_GROUP, FROM_BOB]

const notice = (page: Page) => page.getByRole('alert', { name: `Removed from ${ORG}` })
const conversations = (page: Page) => page.getByRole('navigation', { name: 'Conversations' })
const organisations = (page: Page) => page.getByRole('navigation', { name: 'Organisations' })
const pageText = (page: Page) => page.evaluate(() => document.body.innerText)

async function openOrganisation(page: Page): Promise<void> {
  const back = page.getByRole('link', { name: 'Back to conversations' })
  if (await back.isVisible()) await back.click()
  await organisations(page).getByRole('link', { name: ORG, exact: true }).click({ timeout: WAIT.timeout })
  await page.getByRole('heading', { name: ORG, exact: true }).waitFor()
}

/** Nothing of the organisation is on Bob's screen: no link to it or its conversations, no word written there. */
async function nothingOfTheOrganisation(bob: Person): Promise<void> {
  await expect.poll(() => conversations(bob.page).getByRole('link', { name: GROUP, exact: true }).count(), WAIT).toBe(0)
  expect(await conversations(bob.page).getByRole('link', { name: ORG, exact: true }).count()).toBe(0)
  expect(await organisations(bob.page).getByRole('link', { name: ORG, exact: true }).count()).toBe(0)
  const text = await pageText(bob.page)
  for (const m of MARKERS) expect(text).not.toContain(m)
  expect(text).not.toContain(GROUP)
}

describe('remote wipe, a device removed while offline', () => {
  it('[M30] deletes the organisation when it reconnects, says so, and shows nothing of it, even after a reload', async () => {
    const admin = await person(world.browser, 'Admin', `${world.server.url}/`)
    const bob = await person(world.browser, 'Bob', `${world.server.url}/`)

    await onboard(admin.page, 'Admin')
    await createOrganisation(admin.page, ORG)
    await joinOrganisation(bob, await inviteSomeone(admin.page), ORG)
    await organisations(bob.page).getByRole('link', { name: ORG, exact: true }).waitFor({ timeout: WAIT.timeout })

    // A group with Bob, and words in it and in the organisation's own conversation.
    await admin.page.getByRole('button', { name: 'New group' }).click()
    await admin.page.getByRole('textbox', { name: 'Group name' }).fill(GROUP)
    await admin.page.getByRole('button', { name: 'Create group' }).click()
    await admin.page.getByRole('heading', { name: GROUP }).waitFor()
    await admin.page.getByRole('button', { name: 'Members', exact: true }).click()
    await admin.page.getByRole('button', { name: 'Add people' }).click()
    await admin.page.getByRole('checkbox', { name: 'Bob' }).check()
    await admin.page.getByRole('button', { name: 'Add', exact: true }).click()
    await send(admin.page, IN_GROUP)
    await openConversation(bob.page, GROUP)
    await send(bob.page, FROM_BOB)
    await expect.poll(async () => [...(await messageTexts(bob.page))].sort(), WAIT).toEqual([IN_GROUP, FROM_BOB].sort())
    await openConversation(admin.page, ORG)
    await send(admin.page, IN_ORG)
    await openConversation(bob.page, ORG)
    await expect.poll(() => messageTexts(bob.page), WAIT).toEqual([IN_ORG])

    // Bob's browser is offline; Admin removes him from the organisation meanwhile.
    await bob.context.setOffline(true)
    await expect.poll(() => statusText(bob.page), WAIT).toContain('Offline')
    await openOrganisation(admin.page)
    const people = admin.page.getByRole('list', { name: 'People' })
    await expect.poll(() => people.getByRole('listitem').count(), WAIT).toBe(2)
    await people.getByRole('button', { name: 'Remove Bob from organisation', exact: true }).click()
    await people.getByRole('button', { name: 'Confirm remove Bob', exact: true }).click()
    await expect.poll(() => people.getByRole('listitem').count(), WAIT).toBe(1)
    // Still offline, Bob's screen knows nothing yet.
    await bob.page.waitForTimeout(1000)
    expect(await notice(bob.page).count()).toBe(0)
    expect(await messageTexts(bob.page)).toEqual([IN_ORG])

    // Back online: Bob's device learns of the removal, deletes, and says so.
    await bob.context.setOffline(false)
    await notice(bob.page).waitFor({ timeout: WAIT.timeout })
    expect(await notice(bob.page).textContent()).toContain(`This device was removed from ${ORG}; its data for it was deleted.`)
    await nothingOfTheOrganisation(bob)

    // After a reload: still nothing of it, and still the notice, until Bob dismisses it.
    await bob.page.reload()
    await notice(bob.page).waitFor({ timeout: WAIT.timeout })
    await nothingOfTheOrganisation(bob)
    await notice(bob.page).getByRole('button', { name: 'Dismiss' }).click()
    await expect.poll(() => notice(bob.page).count(), WAIT).toBe(0)
    await bob.page.reload()
    await conversations(bob.page).waitFor({ timeout: WAIT.timeout })
    await bob.page.waitForTimeout(1000)
    expect(await notice(bob.page).count()).toBe(0)
    await nothingOfTheOrganisation(bob)

    // Nothing went wrong: no alert but the notice on Bob's side, none on the admin's.
    expect(JSON.stringify(await admin.page.getByRole('alert').allTextContents())).toBe('[]')
    expect(JSON.stringify(await bob.page.getByRole('alert').allTextContents())).toBe('[]')
    expect([...unexpectedErrors(admin), ...unexpectedErrors(bob)]).toEqual([])
  }, 240_000)
})
