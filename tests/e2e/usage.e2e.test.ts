import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { WAIT, onboard, person, unexpectedErrors, useWorld } from './harness.js'
import { createOrganisation, inviteSomeone, joinOrganisation } from './orgSteps.js'
import { seriousViolations } from './axeCheck.js'

/**
 * [W38] Usage statistics in the PWA (client/core [Q3], [Q7]): the admin turns them on on her
 * device, which collects; a member sees that they are on and what the admins can see, and has
 * no way to the report; the admin's report shows its charts and exports the CSV.
 */
const world = useWorld()
const ORG = 'Harbour Works'

describe('usage statistics', () => {
  it('[W38][Q3][Q7] an admin turns statistics on, sees the charts and exports the CSV; a member sees they are on and what admins can see, not the report', async () => {
    const admin = await person(world.browser, 'Admin', `${world.server.url}/`)
    const bob = await person(world.browser, 'Bob', `${world.server.url}/`)
    await onboard(admin.page, 'Admin')
    await createOrganisation(admin.page, ORG)
    await joinOrganisation(bob, await inviteSomeone(admin.page), ORG)

    const usage = (p: typeof admin) => p.page.getByRole('region', { name: 'Usage statistics' })
    await usage(admin).getByRole('status').waitFor(WAIT)
    expect(await usage(admin).getByRole('status').textContent()).toBe('Off.')
    await usage(admin).getByRole('button', { name: 'Turn on usage statistics' }).click()
    await expect.poll(() => usage(admin).getByRole('status').textContent(), WAIT).toBe('On: this device collects them.')

    // Bob's organisation page: on, collected on the admin's device; what admins can see; no report.
    await bob.page.getByRole('navigation', { name: 'Organisations' }).getByRole('link', { name: ORG, exact: true }).click({ timeout: WAIT.timeout })
    await expect.poll(() => usage(bob).getByRole('status').textContent(), WAIT).toBe("On: collected on Admin's device.")
    await usage(bob).getByText('What your admins can see').click()
    await usage(bob).getByText(/Your admins cannot see: what anyone wrote, who talks to whom/).waitFor(WAIT)
    expect(await usage(bob).getByRole('button', { name: 'Show usage' }).count()).toBe(0)
    expect(await usage(bob).getByRole('button', { name: 'Turn off usage statistics' }).count()).toBe(0)

    // The admin's report: three charts drawn, the numbers per day, and the CSV.
    await usage(admin).getByRole('button', { name: 'Show usage' }).click()
    const view = admin.page.getByLabel('Usage', { exact: true })
    await expect.poll(() => view.locator('.usage-chart canvas').count(), WAIT).toBe(3)
    expect(await view.getByRole('img', { name: /People and devices active per day: chart/ }).count()).toBe(1)
    await view.getByText('Numbers per day').click()
    await expect.poll(() => view.locator('table.usage-table').getByRole('row').count(), WAIT).toBe(28 - 4 + 1)
    // The page with the report open, and Bob's with what admins can see, pass axe.
    expect(await seriousViolations(admin.page)).toEqual([])
    expect(await seriousViolations(bob.page)).toEqual([])
    const download = admin.page.waitForEvent('download')
    await view.getByRole('button', { name: 'Export CSV' }).click()
    const file = await (await download).path()
    const csv = readFileSync(file, 'utf8').split('\r\n')
    expect(csv[0]).toBe('period,start,active,activeWeek,activeMonth,messages,files,fileMb,calls,callMinutes,devices')
    expect(csv.filter((l) => l.startsWith('day,'))).toHaveLength(24)
    for (const l of csv.filter(Boolean).slice(1)) expect(l).toMatch(/^(day|week|month),[0-9-]+(,-?\d+){8},\d+$/)
    // [Q7] The files stored for the organisation, asked of the server (protocol [B13]).
    await view.getByText(/^Files stored on \d{4}-\d{2}-\d{2}: 0 MiB of 20,480 MiB$/).waitFor(WAIT)

    // Offline the report is still there (made on this device from what it received); the files
    // stored are asked of the server, so they are not known.
    await admin.context.setOffline(true)
    await view.getByRole('combobox', { name: 'Period' }).selectOption('90')
    await view.getByText('Files stored: not known (asked of the server when online)').waitFor(WAIT)
    await expect.poll(() => view.locator('.usage-chart canvas').count(), WAIT).toBe(3)
    await admin.context.setOffline(false)

    // Off again: Bob's page says so.
    await usage(admin).getByRole('button', { name: 'Turn off usage statistics' }).click()
    await expect.poll(() => usage(bob).getByRole('status').textContent(), WAIT).toBe('Off.')
    expect(unexpectedErrors(admin)).toEqual([])
    expect(unexpectedErrors(bob)).toEqual([])
  })
})
