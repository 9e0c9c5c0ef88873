import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import {
  WAIT, createConversation, inviteLink, joinConversation, messageTexts, onboard, person, send, settledTexts, unexpectedErrors, useWorld,
} from './harness.js'

/**
 * [T10][T12] Admin, Bob and Carol in three browser contexts against the real server and the
 * built PWA. Admin invites Bob and Carol with a one-time link each, and Admin's open page lets
 * them in. Admin removes Bob from the members panel: Bob is told, loses the composer, and — a
 * conversation being a one-space organisation — his device deletes what it had of it and says so
 * ([M30]); he never sees what Admin and Carol write afterwards, nor what he had read — not even
 * after a reload.
 */
const world = useWorld()

const TITLE = 'Night shift'
const FIRST = 'Welcome, everyone'
const FROM_ADMIN = 'Admin writes after the removal'
const FROM_CAROL = 'Carol writes after the removal'

const members = (page: Page) => page.getByRole('list', { name: 'Members' })
const composer = (page: Page) => page.getByRole('textbox', { name: 'Message', exact: true })
const wipedNotice = (page: Page) => page.getByRole('alert', { name: `Removed from ${TITLE}` })

describe('removing a member, three people', () => {
  it('[T10][M30] cuts Bob off from new messages, and his device deletes the conversation', async () => {
    const admin = await person(world.browser, 'Admin', `${world.server.url}/`)
    const bob = await person(world.browser, 'Bob', `${world.server.url}/`)
    const carol = await person(world.browser, 'Carol', `${world.server.url}/`)

    await onboard(admin.page, 'Admin')
    await createConversation(admin.page, TITLE)
    const bobLink = await inviteLink(admin.page)
    const carolLink = await inviteLink(admin.page)
    expect(carolLink).not.toBe(bobLink)
    await joinConversation(bob, bobLink, TITLE)
    await joinConversation(carol, carolLink, TITLE)
    // Both links are used up: no open invitation is left.
    await expect.poll(() => admin.page.getByRole('list', { name: 'Open invitations' }).count(), WAIT).toBe(0)
    await send(admin.page, FIRST)
    for (const p of [admin, bob, carol]) await expect.poll(() => messageTexts(p.page), WAIT).toEqual([FIRST])

    // Admin's members panel: everyone, with "(you)" and "admin" on Admin's own row.
    const toggle = admin.page.getByRole('button', { name: 'Members', exact: true })
    await expect.poll(() => toggle.getAttribute('aria-expanded'), WAIT).toBe('false')
    await toggle.click()
    await expect.poll(() => toggle.getAttribute('aria-expanded'), WAIT).toBe('true')
    expect(await admin.page.locator(`#${await toggle.getAttribute('aria-controls')}`).count()).toBe(1)
    await expect.poll(() => members(admin.page).getByRole('listitem').allTextContents(), WAIT).toHaveLength(3)
    const rows = await members(admin.page).getByRole('listitem').allTextContents()
    expect(rows[0]).toMatch(/^Admin \(you\)\s*admin$/)
    expect(rows.slice(1).map((r) => r.replace(/Make \w+ admin|Remove/g, '').trim())).toEqual(['Bob', 'Carol'])
    expect(await members(admin.page).getByRole('button', { name: 'Remove Admin' }).count()).toBe(0)

    // Bob and Carol are not admins: they see the list but no remove buttons.
    await carol.page.getByRole('button', { name: 'Members', exact: true }).click()
    await expect.poll(() => members(carol.page).getByRole('listitem').count(), WAIT).toBe(3)
    expect(await members(carol.page).getByRole('button').count()).toBe(0)

    // Two steps: "Remove Bob", then "Confirm remove Bob".
    await members(admin.page).getByRole('button', { name: 'Remove Bob', exact: true }).click()
    await members(admin.page).getByRole('button', { name: 'Confirm remove Bob', exact: true }).click()
    await expect.poll(() => members(admin.page).getByRole('listitem').allTextContents(), WAIT).toHaveLength(2)
    expect(await members(admin.page).getByText('Bob').count()).toBe(0)
    await expect.poll(() => members(carol.page).getByRole('listitem').count(), WAIT).toBe(2)

    // Bob is told, his device deletes the conversation, and he can no longer write.
    await wipedNotice(bob.page).waitFor({ timeout: WAIT.timeout })
    expect(await wipedNotice(bob.page).textContent()).toContain(`This device was removed from ${TITLE}; its data for it was deleted.`)
    await expect.poll(() => composer(bob.page).count(), WAIT).toBe(0)
    expect(await bob.page.getByRole('button', { name: 'Invite', exact: true }).count()).toBe(0)

    // Admin and Carol carry on; both see both messages.
    await send(admin.page, FROM_ADMIN)
    await send(carol.page, FROM_CAROL)
    for (const p of [admin, carol]) {
      await expect.poll(() => messageTexts(p.page), WAIT).toHaveLength(3)
      expect([...(await settledTexts(p))].sort()).toEqual([FROM_ADMIN, FROM_CAROL, FIRST].sort())
    }

    // Bob has nothing of the conversation any more, nor anything new, before and after a reload.
    await bob.page.waitForTimeout(1500)
    const nothingLeft = async () => {
      expect(await bob.page.getByRole('navigation', { name: 'Conversations' }).getByRole('link', { name: TITLE, exact: true }).count()).toBe(0)
      const text = await bob.page.evaluate(() => document.body.innerText)
      for (const t of [FIRST, FROM_ADMIN, FROM_CAROL]) expect(text).not.toContain(t)
    }
    await nothingLeft()
    await bob.page.reload()
    await wipedNotice(bob.page).waitFor({ timeout: WAIT.timeout })
    expect(await composer(bob.page).count()).toBe(0)
    await bob.page.waitForTimeout(1500)
    await nothingLeft()

    // Nothing went wrong for the two who stayed.
    expect(JSON.stringify(await admin.page.getByRole('alert').allTextContents())).toBe('[]')
    expect(JSON.stringify(await carol.page.getByRole('alert').allTextContents())).toBe('[]')
    expect([...unexpectedErrors(admin), ...unexpectedErrors(carol)]).toEqual([])
    expect(unexpectedErrors(bob)).toEqual([])
  }, 240_000)
})
