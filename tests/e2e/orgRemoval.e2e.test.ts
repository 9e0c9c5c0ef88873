import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { WAIT, log, messageTexts, onboard, person, send, settledTexts, statusText, unexpectedErrors, useWorld, type Person } from './harness.js'
import { createOrganisation, inviteSomeone, joinOrganisation } from './orgSteps.js'

/**
 * [T6][T10][T12][T13] Admin, Bob and Carol in three browser contexts against the real server and
 * the built PWA. Admin creates an organisation, invites Bob and Carol with one-time links, makes
 * a group with both from the app, and everyone talks. Admin removes Bob from the group: Bob is
 * told, loses the composer, keeps what he had read (removal from a group, while still in the
 * organisation, wipes nothing: [M30]), and never sees what Admin and Carol write afterwards — not
 * even after a reload.
 */
const world = useWorld()

const ORG = 'Acme Depots'
const GROUP = 'Night crew'
const FIRST = 'Welcome to the night crew'
const FROM_BOB = 'Bob checking in'
const FROM_ADMIN = 'Admin writes after the removal'
const FROM_CAROL = 'Carol writes after the removal'

const members = (page: Page) => page.getByRole('list', { name: 'Members' })
const composer = (page: Page) => page.getByRole('textbox', { name: 'Message', exact: true })
const removedBanner = (p: Person) => p.page.getByRole('alert').filter({ hasText: `You were removed from ${GROUP}` })

async function openGroup(p: Person): Promise<void> {
  const back = p.page.getByRole('link', { name: 'Back to conversations' })
  if (await back.isVisible()) await back.click()
  await p.page.getByRole('navigation', { name: 'Conversations' }).getByRole('link', { name: GROUP, exact: true }).click({ timeout: WAIT.timeout })
  await p.page.getByRole('heading', { name: GROUP }).waitFor()
}

describe('removing a member from an organisation group, three people', () => {
  it('[T10][T13] cuts Bob off from the group\'s new messages and keeps his history', async () => {
    const admin = await person(world.browser, 'Admin', `${world.server.url}/`)
    const bob = await person(world.browser, 'Bob', `${world.server.url}/`)
    const carol = await person(world.browser, 'Carol', `${world.server.url}/`)

    await onboard(admin.page, 'Admin')
    await createOrganisation(admin.page, ORG)

    // Bob answers while the admin's device is offline: he waits, visibly, until it lets him in.
    const bobLink = await inviteSomeone(admin.page)
    await admin.context.setOffline(true)
    await expect.poll(() => statusText(admin.page), WAIT).toContain('Offline')
    await joinOrganisation(bob, bobLink, ORG)
    await bob.page.getByText('Waiting for an admin to let you in').waitFor()
    await admin.context.setOffline(false)
    await bob.page.getByRole('navigation', { name: 'Organisations' }).getByRole('link', { name: ORG, exact: true }).waitFor({ timeout: WAIT.timeout })
    expect(await bob.page.getByText('Waiting for an admin to let you in').count()).toBe(0)

    const carolLink = await inviteSomeone(admin.page)
    expect(carolLink).not.toBe(bobLink)
    await joinOrganisation(carol, carolLink, ORG)
    await carol.page.getByRole('navigation', { name: 'Organisations' }).getByRole('link', { name: ORG, exact: true }).waitFor({ timeout: WAIT.timeout })

    // The admin's directory: everyone, the admin marked as such; both invitations used up.
    const people = admin.page.getByRole('list', { name: 'People' })
    await expect.poll(() => people.getByRole('listitem').count(), WAIT).toBe(3)
    expect((await people.getByRole('listitem').allTextContents()).map((t) => t.split('Verify')[0]!.trim())).toEqual([
      'Admin (you)admin1 device',
      'Bob1 device',
      'Carol1 device',
    ])
    await expect.poll(() => admin.page.getByRole('list', { name: 'Open invitations' }).count(), WAIT).toBe(0)

    // A group with both, made and filled from the app.
    await admin.page.getByRole('button', { name: 'New group' }).click()
    await admin.page.getByRole('textbox', { name: 'Group name' }).fill(GROUP)
    expect(await admin.page.getByRole('checkbox', { name: 'New members can read earlier messages' }).isChecked()).toBe(true)
    await admin.page.getByRole('button', { name: 'Create group' }).click()
    await admin.page.getByRole('heading', { name: GROUP }).waitFor()
    await admin.page.getByRole('button', { name: 'Members', exact: true }).click()
    await admin.page.getByRole('button', { name: 'Add people' }).click()
    await admin.page.getByRole('checkbox', { name: 'Bob' }).check()
    await admin.page.getByRole('checkbox', { name: 'Carol' }).check()
    await admin.page.getByRole('button', { name: 'Add', exact: true }).click()
    await expect.poll(() => members(admin.page).getByRole('listitem').count(), WAIT).toBe(3)

    for (const p of [bob, carol]) await openGroup(p)
    await send(admin.page, FIRST)
    await send(bob.page, FROM_BOB)
    for (const p of [admin, bob, carol]) await expect.poll(async () => [...(await messageTexts(p.page))].sort(), WAIT).toEqual([FIRST, FROM_BOB].sort())

    // Carol is not an admin of the group: no remove buttons, no "Add people".
    await carol.page.getByRole('button', { name: 'Members', exact: true }).click()
    await expect.poll(() => members(carol.page).getByRole('listitem').count(), WAIT).toBe(3)
    expect(await carol.page.getByRole('button', { name: /^Remove / }).count()).toBe(0)
    expect(await carol.page.getByRole('button', { name: 'Add people' }).count()).toBe(0)

    // Two steps: "Remove Bob", then "Confirm remove Bob".
    await members(admin.page).getByRole('button', { name: 'Remove Bob', exact: true }).click()
    await members(admin.page).getByRole('button', { name: 'Confirm remove Bob', exact: true }).click()
    await expect.poll(() => members(admin.page).getByRole('listitem').count(), WAIT).toBe(2)
    await expect.poll(() => members(carol.page).getByRole('listitem').count(), WAIT).toBe(2)
    expect(await members(carol.page).getByText('Bob').count()).toBe(0)

    // Bob is told, and can no longer write.
    await removedBanner(bob).waitFor({ timeout: WAIT.timeout })
    await expect.poll(() => composer(bob.page).count(), WAIT).toBe(0)

    // Admin and Carol carry on; both see both messages.
    await send(admin.page, FROM_ADMIN)
    await send(carol.page, FROM_CAROL)
    for (const p of [admin, carol]) {
      await expect.poll(() => messageTexts(p.page), WAIT).toHaveLength(4)
      expect([...(await settledTexts(p))].sort()).toEqual([FIRST, FROM_BOB, FROM_ADMIN, FROM_CAROL].sort())
    }

    // Bob keeps his history and gets nothing new, before and after a reload.
    const bobSaw = [FIRST, FROM_BOB].sort()
    await bob.page.waitForTimeout(1500)
    expect([...(await messageTexts(bob.page))].sort()).toEqual(bobSaw)
    await bob.page.reload()
    await log(bob.page).waitFor({ timeout: WAIT.timeout })
    await expect.poll(async () => [...(await messageTexts(bob.page))].sort(), WAIT).toEqual(bobSaw)
    await removedBanner(bob).waitFor({ timeout: WAIT.timeout })
    expect(await composer(bob.page).count()).toBe(0)
    await bob.page.waitForTimeout(1500)
    expect([...(await messageTexts(bob.page))].sort()).toEqual(bobSaw)

    // Bob is still in the organisation: its conversation stays open to him, and nothing was wiped.
    expect(await bob.page.getByRole('alert', { name: `Removed from ${ORG}` }).count()).toBe(0)
    await bob.page.getByRole('link', { name: 'Back to conversations' }).click()
    await bob.page.getByRole('navigation', { name: 'Organisations' }).getByRole('link', { name: ORG, exact: true }).waitFor()
    // [W9] The organisation is listed once; its page opens its conversation.
    await bob.page.getByRole('navigation', { name: 'Organisations' }).getByRole('link', { name: ORG, exact: true }).click()
    await bob.page.getByRole('link', { name: 'Open conversation' }).waitFor()

    // Nothing went wrong for the two who stayed.
    expect(JSON.stringify(await admin.page.getByRole('alert').allTextContents())).toBe('[]')
    expect(JSON.stringify(await carol.page.getByRole('alert').allTextContents())).toBe('[]')
    expect([...unexpectedErrors(admin), ...unexpectedErrors(carol)]).toEqual([])
    expect(unexpectedErrors(bob)).toEqual([])
  }, 300_000)
})
