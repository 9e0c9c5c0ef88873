import { describe, expect, it } from 'vitest'
import {
  WAIT, createConversation, ensureServiceWorkerControls, inviteLink, joinConversation, log, messageTexts, onboard,
  person, send, settledTexts, statusText, unexpectedErrors, type Person, useWorld,
} from './harness.js'

/**
 * Alice and Bob in two browser contexts against the real server and the built PWA. Alice invites
 * Bob with a one-time link, and her open page lets him in ([T12]). Bob loses the network, writes,
 * reloads with no network (service worker + IndexedDB), comes back; both screens converge on the
 * same messages in the same order (ARCHITECTURE §6, §8).
 */
const world = useWorld()
const people: Person[] = []

describe('offline PWA, two people', () => {
  it('keeps writing, reloading and reading offline, then converges', async () => {
    const alice = await person(world.browser, 'Alice', `${world.server.url}/`)
    const bob = await person(world.browser, 'Bob', `${world.server.url}/`)
    people.push(alice, bob)

    // Alice starts a conversation and invites Bob.
    await onboard(alice.page, 'Alice')
    await createConversation(alice.page, 'Field team')
    await send(alice.page, 'Hello from Alice')
    const link = await inviteLink(alice.page)
    expect(link).toMatch(new RegExp(`^${world.server.url}/#org=[A-Za-z0-9_-]+$`))

    // Bob opens the link: onboarding first, then the join prompt; Alice's device lets him in.
    await joinConversation(bob, link, 'Field team')
    expect(await bob.page.evaluate(() => location.href)).not.toContain('org=')
    await expect.poll(() => messageTexts(bob.page), WAIT).toEqual(['Hello from Alice'])
    await expect.poll(() => log(bob.page).getByText('Alice', { exact: true }).count(), WAIT).toBe(1)

    // Bob's page must be served by the service worker before the network goes.
    await ensureServiceWorkerControls(bob.page)
    await expect.poll(() => messageTexts(bob.page), WAIT).toEqual(['Hello from Alice'])
    await expect.poll(() => statusText(bob.page), WAIT).toContain('Online')

    await bob.context.setOffline(true)
    await expect.poll(() => statusText(bob.page), WAIT).toContain('Offline')
    await send(alice.page, 'Alice writes while Bob is away')
    await send(bob.page, 'Bob writes offline')
    const bobsMessage = log(bob.page).getByRole('listitem').filter({ hasText: 'Bob writes offline' })
    await bobsMessage.getByLabel('Pending', { exact: true }).waitFor()
    await expect.poll(() => statusText(bob.page), WAIT).toMatch(/Offline.*1 pending/)

    // A reload with no network: the app, the history and the pending message are all still there.
    await bob.page.reload()
    await expect.poll(() => messageTexts(bob.page), WAIT).toEqual(['Hello from Alice', 'Bob writes offline'])
    await bobsMessage.getByLabel('Pending', { exact: true }).waitFor()
    await expect.poll(() => statusText(bob.page), WAIT).toMatch(/Offline.*1 pending/)

    // Back online: the outbox drains and both sides see the same messages in the same order.
    await bob.context.setOffline(false)
    await expect.poll(() => messageTexts(bob.page), WAIT).toHaveLength(3)
    await expect.poll(() => messageTexts(alice.page), WAIT).toHaveLength(3)
    const bobSees = await settledTexts(bob)
    const aliceSees = await settledTexts(alice)
    expect(bobSees).toEqual(aliceSees)
    expect([...bobSees].sort()).toEqual(['Alice writes while Bob is away', 'Bob writes offline', 'Hello from Alice'])
    await expect.poll(() => statusText(bob.page), WAIT).toBe('Online')
    await expect.poll(() => statusText(alice.page), WAIT).toBe('Online')

    // Nothing was refused or rejected along the way (the engine reports those as alerts).
    expect(JSON.stringify(await alice.page.getByRole('alert').allTextContents())).toBe('[]')
    expect(JSON.stringify(await bob.page.getByRole('alert').allTextContents())).toBe('[]')
    expect([...unexpectedErrors(alice), ...unexpectedErrors(bob)]).toEqual([])
  }, 240_000)
})
