import type { Page } from 'playwright-core'
import { expect } from 'vitest'
import { WAIT, freshLink, onboard, type Person } from './harness.js'

/** Steps shared by the organisation e2e tests, written the way a person clicks through them. */

export async function createOrganisation(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name: 'Create organisation' }).click()
  await page.getByRole('textbox', { name: 'Organisation name' }).fill(name)
  await page.getByRole('button', { name: 'Create organisation' }).click()
  await page.getByRole('heading', { name, exact: true }).waitFor()
}

/** On the organisation page: "Invite someone", and the new one-time link it shows. */
export function inviteSomeone(page: Page): Promise<string> {
  return freshLink(page, 'Invite someone', 'Invitation link')
}

/** Opens an invitation link in `p`'s context, chooses a name if needed, and answers it. */
export async function joinOrganisation(p: Person, link: string, org: string): Promise<void> {
  await p.page.goto(link)
  const name = p.page.getByRole('textbox', { name: 'Display name' })
  const join = p.page.getByRole('button', { name: `Join ${org}`, exact: true })
  await expect.poll(async () => (await name.count()) + (await join.count()), WAIT).toBeGreaterThan(0)
  if (await name.count()) await onboard(p.page, p.name)
  await p.page.getByRole('heading', { name: `Join ${org}?` }).waitFor()
  await join.click()
  await p.page.getByRole('navigation', { name: 'Organisations' }).waitFor()
}

/** [T17] On the organisation page: "Link another device", and the new one-time device link it shows. */
export function linkAnotherDevice(page: Page): Promise<string> {
  return freshLink(page, 'Link another device', 'Device link')
}

/** [T17] Opens a device link in `p`'s context, chooses a name if needed, and answers "Add this device". */
export async function addThisDevice(p: Person, link: string, org: string): Promise<void> {
  await p.page.goto(link)
  const name = p.page.getByRole('textbox', { name: 'Display name' })
  const add = p.page.getByRole('button', { name: 'Add this device', exact: true })
  await expect.poll(async () => (await name.count()) + (await add.count()), WAIT).toBeGreaterThan(0)
  if (await name.count()) await onboard(p.page, p.name)
  await p.page.getByRole('heading', { name: `Add this device to ${org}?` }).waitFor()
  await add.click()
  await p.page.getByRole('navigation', { name: 'Organisations' }).waitFor()
}
