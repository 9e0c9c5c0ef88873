import { describe, expect, it } from 'vitest'
import {
  WAIT, createConversation, inviteLink, onboard, openConversation, person, statusText, unexpectedErrors, useWorld, waitingToJoin, type Person,
} from './harness.js'

/**
 * [T12][T3] A conversation's one-time invitation, as Admin and Bob see it in two browser contexts
 * against the real server and the built PWA: Bob answers while Admin's device is offline and
 * waits, visibly, until it is back and lets him in. A conversation is never listed as an
 * organisation. Admin makes Bob admin (he can then invite) and takes it back; an open
 * invitation can be revoked.
 */
const world = useWorld()

const TITLE = 'Night shift'

describe('conversation invitations, two people', () => {
  it('[T12] Bob waits for the admin\'s device, is let in, and a conversation is never an organisation', async () => {
    const admin = await person(world.browser, 'Admin', `${world.server.url}/`)
    const bob = await person(world.browser, 'Bob', `${world.server.url}/`)
    const orgList = (p: Person) => p.page.getByRole('navigation', { name: 'Organisations' })

    await onboard(admin.page, 'Admin')
    await createConversation(admin.page, TITLE)
    const link = await inviteLink(admin.page)
    expect(link).toMatch(new RegExp(`^${world.server.url}/#org=[A-Za-z0-9_-]+$`))
    // The invitation: its link, a QR code of it, what it allows, and the open list.
    await admin.page.getByRole('img', { name: 'QR code of the invitation link' }).waitFor()
    await admin.page.getByText('One person can use this link, once, within 7 days').waitFor()
    await expect.poll(() => admin.page.getByRole('list', { name: 'Open invitations' }).getByRole('listitem').count(), WAIT).toBe(1)

    // Bob answers while Admin's device is offline: he waits, and it is not listed as an organisation.
    await admin.context.setOffline(true)
    await expect.poll(() => statusText(admin.page), WAIT).toContain('Offline')
    await bob.page.goto(link)
    await bob.page.getByText(`You were invited to the conversation ${TITLE}. First, choose your name.`).waitFor()
    await onboard(bob.page, 'Bob')
    await bob.page.getByRole('heading', { name: `Join ${TITLE}?` }).waitFor()
    await bob.page.getByRole('button', { name: `Join ${TITLE}`, exact: true }).click()
    await waitingToJoin(bob.page, TITLE).waitFor({ timeout: WAIT.timeout })
    expect(await bob.page.getByRole('status').filter({ hasText: 'waiting for an admin to let you in' }).count()).toBe(1)
    expect(await orgList(bob).getByText(TITLE).count()).toBe(0)
    expect(await bob.page.evaluate(() => location.hash)).not.toContain('org=')

    // Admin's device is back: it lets Bob in; the link is used up.
    await admin.context.setOffline(false)
    await openConversation(bob.page, TITLE)
    expect(await waitingToJoin(bob.page, TITLE).count()).toBe(0)
    await expect.poll(() => admin.page.getByRole('list', { name: 'Open invitations' }).count(), WAIT).toBe(0)
    for (const p of [admin, bob]) {
      await p.page.getByRole('link', { name: 'Back to conversations' }).click()
      expect(await orgList(p).getByText(TITLE).count()).toBe(0)
      await openConversation(p.page, TITLE)
    }

    // [T3] Bob is no admin: no Invite for him, until Admin makes him one; then Admin takes it back.
    expect(await bob.page.getByRole('button', { name: 'Invite', exact: true }).count()).toBe(0)
    await admin.page.getByRole('button', { name: 'Members', exact: true }).click()
    await admin.page.getByRole('button', { name: 'Make Bob admin' }).click()
    await admin.page.getByRole('button', { name: 'Take admin from Bob' }).waitFor({ timeout: WAIT.timeout })
    await bob.page.getByRole('button', { name: 'Invite', exact: true }).waitFor({ timeout: WAIT.timeout })
    await admin.page.getByRole('button', { name: 'Take admin from Bob' }).click()
    await admin.page.getByRole('button', { name: 'Make Bob admin' }).waitFor({ timeout: WAIT.timeout })
    await expect.poll(() => bob.page.getByRole('button', { name: 'Invite', exact: true }).count(), WAIT).toBe(0)

    // An open invitation can be revoked.
    await inviteLink(admin.page)
    const open = admin.page.getByRole('list', { name: 'Open invitations' })
    await expect.poll(() => open.getByRole('listitem').count(), WAIT).toBe(1)
    await open.getByRole('button', { name: /^Revoke/ }).click()
    await expect.poll(() => open.count(), WAIT).toBe(0)

    expect(JSON.stringify(await admin.page.getByRole('alert').allTextContents())).toBe('[]')
    expect(JSON.stringify(await bob.page.getByRole('alert').allTextContents())).toBe('[]')
    expect([...unexpectedErrors(admin), ...unexpectedErrors(bob)]).toEqual([])
  }, 180_000)

  it('[T12] a second person answering a used link is told why and stops waiting; a person may stop waiting with Cancel', async () => {
    const admin = await person(world.browser, 'Admin', `${world.server.url}/`)
    const bob = await person(world.browser, 'Bob', `${world.server.url}/`)
    const carol = await person(world.browser, 'Carol', `${world.server.url}/`)
    await onboard(admin.page, 'Admin')
    await createConversation(admin.page, 'Yard')
    const link = await inviteLink(admin.page)
    for (const p of [bob, carol]) {
      await p.page.goto(link)
      await onboard(p.page, p === bob ? 'Bob' : 'Carol')
      await p.page.getByRole('button', { name: 'Join Yard', exact: true }).click()
      if (p === bob) await openConversation(bob.page, 'Yard')
    }
    // Admin's device refuses Carol's answer (the link is used up) and tells her.
    await expect.poll(() => carol.page.getByRole('alert').allTextContents(), WAIT).toContainEqual(expect.stringContaining('already used'))
    await expect.poll(() => waitingToJoin(carol.page, 'Yard').count(), WAIT).toBe(0)

    // Dave answers while Admin is offline, then gives up.
    const dave = await person(world.browser, 'Dave', `${world.server.url}/`)
    const second = await inviteLink(admin.page)
    await admin.context.setOffline(true)
    await dave.page.goto(second)
    await onboard(dave.page, 'Dave')
    await dave.page.getByRole('button', { name: 'Join Yard', exact: true }).click()
    await waitingToJoin(dave.page, 'Yard').waitFor({ timeout: WAIT.timeout })
    await dave.page.getByRole('button', { name: 'Stop waiting to join Yard' }).click()
    await expect.poll(() => waitingToJoin(dave.page, 'Yard').count(), WAIT).toBe(0)
    expect([...unexpectedErrors(admin), ...unexpectedErrors(bob), ...unexpectedErrors(carol), ...unexpectedErrors(dave)]).toEqual([])
  }, 180_000)
})
