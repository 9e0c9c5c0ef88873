import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { WAIT, log, messageTexts, onboard, person, send, statusText, unexpectedErrors, useWorld, type Person } from './harness.js'
import { addThisDevice, createOrganisation, inviteSomeone, joinOrganisation, linkAnotherDevice } from './orgSteps.js'

/**
 * [T17] A person's second device, in three browser contexts: Admin, Bob's phone and Bob's laptop.
 * Bob's phone makes a one-time device link; the laptop opens it, waits while the phone is offline,
 * and is let in once the phone adds it and the admin's device gives it the keys. It reads the
 * group's history and writes as Bob. Bob removes it from his phone (a lost laptop): the laptop is
 * told it was removed and gets nothing new, not even after a reload.
 */
const world = useWorld()

const ORG = 'Quay Logistics'
const GROUP = 'Loading bay'
const FIRST = 'Trucks arrive at six'
const FROM_PHONE = 'Bob on his phone'
const FROM_LAPTOP = 'Bob on his laptop'
const AFTER = 'Admin writes after the laptop was removed'
const WAITING = 'Waiting for your other device and an admin to let this device in'

const orgLink = (page: Page) => page.getByRole('navigation', { name: 'Organisations' }).getByRole('link', { name: ORG, exact: true })
const myDevices = (page: Page) => page.getByRole('list', { name: 'Your devices' })
const wipedNotice = (p: Person) => p.page.getByRole('alert', { name: `Removed from ${ORG}` })

async function backToLists(p: Person): Promise<void> {
  const back = p.page.getByRole('link', { name: 'Back to conversations' })
  if (await back.isVisible()) await back.click()
}

async function openGroup(p: Person): Promise<void> {
  await backToLists(p)
  await p.page.getByRole('navigation', { name: 'Conversations' }).getByRole('link', { name: GROUP, exact: true }).click({ timeout: WAIT.timeout })
  await p.page.getByRole('heading', { name: GROUP }).waitFor()
}

async function openOrg(p: Person): Promise<void> {
  await backToLists(p)
  await orgLink(p.page).click({ timeout: WAIT.timeout })
  await p.page.getByRole('heading', { name: ORG, exact: true }).waitFor()
}

/** The short id the "Your devices" list shows for this device. */
async function thisDeviceId(page: Page): Promise<string> {
  const row = myDevices(page).getByRole('listitem').filter({ hasText: '(this device)' })
  await row.waitFor({ timeout: WAIT.timeout })
  const id = (await row.locator('.device-id').textContent())?.trim() ?? ''
  expect(id).toMatch(/^[A-Za-z0-9_-]{8}$/)
  return id
}

describe('linking and removing a second device of a person', () => {
  it('[T17] Bob adds his laptop with a one-time link from his phone, it reads and writes as Bob, and removing it cuts it off', async () => {
    const admin = await person(world.browser, 'Admin', `${world.server.url}/`)
    const phone = await person(world.browser, 'Bob', `${world.server.url}/`)

    await onboard(admin.page, 'Admin')
    await createOrganisation(admin.page, ORG)
    await joinOrganisation(phone, await inviteSomeone(admin.page), ORG)
    await orgLink(phone.page).waitFor({ timeout: WAIT.timeout })

    // A group with Bob, and a message from each before the laptop exists.
    await admin.page.getByRole('button', { name: 'New group' }).click()
    await admin.page.getByRole('textbox', { name: 'Group name' }).fill(GROUP)
    await admin.page.getByRole('button', { name: 'Create group' }).click()
    await admin.page.getByRole('heading', { name: GROUP }).waitFor()
    await admin.page.getByRole('button', { name: 'Members', exact: true }).click()
    await admin.page.getByRole('button', { name: 'Add people' }).click()
    await admin.page.getByRole('checkbox', { name: 'Bob' }).check()
    await admin.page.getByRole('button', { name: 'Add', exact: true }).click()
    await send(admin.page, FIRST)
    await openGroup(phone)
    await send(phone.page, FROM_PHONE)
    await expect.poll(async () => [...(await messageTexts(admin.page))].sort(), WAIT).toEqual([FIRST, FROM_PHONE].sort())

    // Bob's phone: "Your devices" lists only itself; "Link another device" shows the link, its QR code and expiry.
    await openOrg(phone)
    const phoneId = await thisDeviceId(phone.page)
    expect(await myDevices(phone.page).getByRole('listitem').count()).toBe(1)
    expect(await phone.page.getByRole('button', { name: /^Remove device / }).count()).toBe(0)
    const link = await linkAnotherDevice(phone.page)
    const qr = phone.page.getByRole('img', { name: 'QR code of the device link' })
    await qr.waitFor()
    expect(await qr.locator('path').getAttribute('d')).toMatch(/^(M\d+ \d+h\d+v1h-\d+z)+$/)
    expect(await phone.page.getByRole('button', { name: 'Copy link' }).count()).toBe(1)
    await phone.page.getByText(/valid for 24 hours/).waitFor()
    await phone.page.getByText(/^Expires /).waitFor()

    // The laptop answers while the phone is offline: it says whom it waits for.
    await phone.context.setOffline(true)
    await expect.poll(() => statusText(phone.page), WAIT).toContain('Offline')
    const laptop = await person(world.browser, 'Bob laptop', `${world.server.url}/`)
    await addThisDevice(laptop, link, ORG)
    expect(await laptop.page.getByRole('button', { name: /^Join/ }).count()).toBe(0)
    await laptop.page.getByText(WAITING).waitFor()
    await phone.context.setOffline(false)

    // The phone adds it, the admin's device keys it: the laptop is Bob's second device.
    await orgLink(laptop.page).waitFor({ timeout: WAIT.timeout })
    expect(await laptop.page.getByText(WAITING).count()).toBe(0)
    await expect.poll(() => myDevices(phone.page).getByRole('listitem').count(), WAIT).toBe(2)
    const bobRow = admin.page.getByRole('list', { name: 'People' }).getByRole('listitem').filter({ hasText: 'Bob' }).first()
    await openOrg(admin)
    await bobRow.getByText('2 devices').waitFor({ timeout: WAIT.timeout })

    // The laptop's own page: the same person, this device marked, the phone removable from here too.
    await openOrg(laptop)
    const laptopId = await thisDeviceId(laptop.page)
    expect(laptopId).not.toBe(phoneId)
    await expect.poll(() => myDevices(laptop.page).getByRole('listitem').count(), WAIT).toBe(2)
    await laptop.page.getByRole('button', { name: `Remove device ${phoneId}`, exact: true }).waitFor()
    expect(await laptop.page.getByRole('button', { name: `Remove device ${laptopId}`, exact: true }).count()).toBe(0)

    // An admin lists Bob's devices from the People list.
    await admin.page.getByRole('button', { name: 'Devices of Bob', exact: true }).click()
    const adminSees = admin.page.getByRole('list', { name: 'Devices of Bob' })
    await expect.poll(async () => (await adminSees.getByRole('listitem').allTextContents()).map((t) => t.slice(0, 8)).sort(), WAIT).toEqual([phoneId, laptopId].sort())
    for (const id of [phoneId, laptopId]) await adminSees.getByRole('button', { name: `Remove device ${id}`, exact: true }).waitFor()
    await admin.page.getByRole('button', { name: 'Devices of Bob', exact: true }).click()

    // The laptop reads the group's history and writes as Bob.
    await openGroup(laptop)
    await expect.poll(async () => [...(await messageTexts(laptop.page))].sort(), WAIT).toEqual([FIRST, FROM_PHONE].sort())
    await send(laptop.page, FROM_LAPTOP)
    await openGroup(admin)
    const fromLaptop = log(admin.page).getByRole('listitem').filter({ hasText: FROM_LAPTOP })
    await fromLaptop.waitFor({ timeout: WAIT.timeout })
    expect((await fromLaptop.locator('.message-author').textContent())?.trim()).toBe('Bob')

    // The laptop is lost: Bob removes it from his phone, in two steps.
    await phone.page.getByRole('button', { name: `Remove device ${laptopId}`, exact: true }).click()
    await phone.page.getByRole('button', { name: `Confirm remove device ${laptopId}`, exact: true }).click()
    await expect.poll(() => myDevices(phone.page).getByRole('listitem').count(), WAIT).toBe(1)
    // [M30] The removed laptop deletes what it held of the organisation and says so.
    await wipedNotice(laptop).waitFor({ timeout: WAIT.timeout })
    await openOrg(admin)
    await bobRow.getByText('1 device').waitFor({ timeout: WAIT.timeout })

    // Admin writes; Bob reads it on his phone; the laptop has nothing, before and after a reload.
    await openGroup(admin)
    await send(admin.page, AFTER)
    await openGroup(phone)
    await expect.poll(() => messageTexts(phone.page), WAIT).toContain(AFTER)
    const laptopBody = async () => (await laptop.page.textContent('body')) ?? ''
    for (const text of [FIRST, FROM_PHONE, FROM_LAPTOP, AFTER]) await expect.poll(laptopBody, WAIT).not.toContain(text)
    await laptop.page.reload()
    await wipedNotice(laptop).waitFor({ timeout: WAIT.timeout })
    await laptop.page.waitForTimeout(1500)
    for (const text of [FIRST, FROM_PHONE, FROM_LAPTOP, AFTER, GROUP]) expect(await laptopBody()).not.toContain(text)

    expect(JSON.stringify(await admin.page.getByRole('alert').allTextContents())).toBe('[]')
    // A subscribe that crossed the revocation on the wire is redone silently, not reported.
    expect(JSON.stringify(await phone.page.getByRole('alert').allTextContents())).toBe('[]')
    expect([...unexpectedErrors(admin), ...unexpectedErrors(phone), ...unexpectedErrors(laptop)]).toEqual([])
  }, 300_000)
})
