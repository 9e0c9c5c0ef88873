import type { Page } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import { clockBot, type ClockBot } from './clockBot.js'
import { seriousViolations } from './axeCheck.js'
import { joinOrganisation } from './orgSteps.js'
import { WAIT, createConversation, inviteLink, joinConversation, log, messageTexts, onboard, openConversation, person, send, unexpectedErrors, useWorld } from './harness.js'

/**
 * [W27][W28][W29] Disappearing messages in the PWA. Bea (a browser) sets the shortest timer the
 * engine offers (5 minutes, [M65]); Bea and Cai (two browsers) both see the system line. Waiting
 * five minutes for a message would make a slow test, so Dov, a Node device whose wall clock the
 * test sets, writes a message dated 200 s in the past: under the timer it carries `exp` = its time
 * + 5 minutes ([M66]), so it disappears about 100 s later by the browsers' own, real clocks
 * ([M67]). Its hybrid clock has seen no newer message (a timer entry does not move it), so the
 * past date holds. Bea's own message under the timer shows the full 5 minutes and stays.
 */
const world = useWorld()
const bots: ClockBot[] = []
afterAll(async () => {
  for (const b of bots) await b.close()
})

const LINE = 'Bea set disappearing messages to 5 minutes'
const badge = (page: Page, text: string) => log(page).getByRole('listitem').filter({ hasText: text }).getByRole('img', { name: /^Disappears in / })

describe('disappearing messages', () => {
  it('[W27][W28][W29] Bea sets 5 minutes: both see the system line, messages show the time left, and an expired one leaves both views', async () => {
    const bea = await person(world.browser, 'Bea', `${world.server.url}/`)
    const cai = await person(world.browser, 'Cai', `${world.server.url}/`)
    await onboard(bea.page, 'Bea')
    await createConversation(bea.page, 'Night watch')
    const dov = await clockBot('Dov', world.server.url)
    bots.push(dov)
    dov.at(Date.now() - 200_000) // before it writes anything: its clock never goes back
    const conv = await dov.join(await inviteLink(bea.page))
    await joinConversation(cai, await inviteLink(bea.page), 'Night watch')
    await bea.page.getByRole('button', { name: 'Invite', exact: true }).click() // the panel closes

    // [W27] The setting: Off, and the engine's choices; choosing one is one engine call.
    const setting = bea.page.getByRole('button', { name: 'Disappearing messages: off' })
    await setting.click()
    const panel = bea.page.getByRole('group', { name: 'Disappearing messages' })
    expect(await panel.getByRole('radio', { name: 'Off' }).isChecked()).toBe(true)
    expect(await seriousViolations(bea.page), 'the disappearing-messages setting').toEqual([])
    await panel.getByRole('radio', { name: '5 minutes' }).check()
    await bea.page.getByRole('button', { name: 'Disappearing messages: 5 minutes' }).waitFor(WAIT)
    await bea.page.keyboard.press('Escape')
    await expect.poll(() => panel.count(), WAIT).toBe(0)

    // [W28] Both see who set it.
    await log(bea.page).getByText(LINE).waitFor(WAIT)
    await log(cai.page).getByText(LINE).waitFor(WAIT)
    await cai.page.getByRole('button', { name: 'Disappearing messages: 5 minutes' }).waitFor(WAIT)

    // Dov's message, dated 200 s ago, arrives under the timer with about 100 s left.
    await expect.poll(() => dov.messenger.timer(conv).effective, WAIT).toBe(300)
    dov.at(Date.now() - 200_000)
    await dov.messenger.send(conv, 'gate code changes at midnight')
    dov.at(undefined)
    await send(bea.page, 'Bea under the timer')
    for (const p of [bea.page, cai.page]) {
      await log(p).getByText('gate code changes at midnight', { exact: true }).waitFor(WAIT)
      // [W29] The time left is the badge's accessible name.
      expect(await badge(p, 'gate code changes at midnight').getAttribute('aria-label')).toMatch(/^Disappears in (1 minute|2 minutes|less than a minute)$/)
      await log(p).getByText('Bea under the timer', { exact: true }).waitFor(WAIT)
      await expect.poll(() => badge(p, 'Bea under the timer').getAttribute('aria-label'), WAIT).toMatch(/^Disappears in (5|4) minutes$/)
    }

    // [M67] It leaves both views when its time comes; Bea's stays (it has minutes left).
    for (const p of [bea.page, cai.page]) await expect.poll(() => messageTexts(p), { timeout: 180_000, interval: 500 }).toEqual(['Bea under the timer'])
    expect(await seriousViolations(cai.page), 'a conversation with a system line and timers').toEqual([])
    expect(await log(cai.page).getByText(LINE).count()).toBe(1)

    for (const p of [bea, cai]) expect(JSON.stringify(await p.page.getByRole('alert').allTextContents())).toBe('[]')
    expect([...unexpectedErrors(bea), ...unexpectedErrors(cai)]).toEqual([])
  }, 420_000)

  it('[W27] in an organisation with a maximum of 1 day, longer choices are unavailable and say why; Off still leaves the maximum', async () => {
    // Ole's device (Node) runs the organisation and its policy; its engine lets Bea in when she answers.
    const ole = await clockBot('Ole', world.server.url)
    bots.push(ole)
    const org = await ole.messenger.team.createOrg('Port Authority')
    await ole.messenger.team.setPolicy(org, { maxDisappearSeconds: 86_400 })
    const { link } = await ole.messenger.invite(org, world.server.url)
    const bea = await person(world.browser, 'Bea', `${world.server.url}/`)
    await joinOrganisation(bea, link, 'Port Authority')
    await openConversation(bea.page, 'Port Authority')

    // The conversation's own timer is off: a message sent now still gets the organisation's day.
    await bea.page.getByRole('button', { name: 'Disappearing messages: 1 day' }).click()
    const panel = bea.page.getByRole('group', { name: 'Disappearing messages' })
    expect(await panel.getByRole('radio', { name: 'Off' }).isChecked()).toBe(true)
    for (const ok of ['Off', '5 minutes', '1 hour', '8 hours', '1 day']) expect(await panel.getByRole('radio', { name: ok, exact: true }).isDisabled(), ok).toBe(false)
    for (const long of ['7 days', '30 days', '90 days']) {
      const radio = panel.getByRole('radio', { name: long })
      expect(await radio.isDisabled(), long).toBe(true)
      const why = await radio.getAttribute('aria-describedby')
      expect(await bea.page.locator(`[id="${why}"]`).innerText()).toContain('at most 1 day')
    }
    await panel.getByText('not allowed by your organisation').first().waitFor()
    await panel.getByText('with this set to Off messages still disappear after 1 day', { exact: false }).waitFor()

    // A shorter timer is the conversation's own; the log says so and messages show it.
    await panel.getByRole('radio', { name: '1 hour' }).check()
    await bea.page.getByRole('button', { name: 'Disappearing messages: 1 hour' }).waitFor(WAIT)
    await log(bea.page).getByText('Bea set disappearing messages to 1 hour').waitFor(WAIT)
    await send(bea.page, 'tide tables updated')
    await expect.poll(() => log(bea.page).getByRole('listitem').filter({ hasText: 'tide tables updated' }).getByRole('img', { name: /^Disappears in / }).getAttribute('aria-label'), WAIT).toMatch(/^Disappears in (1 hour|60 minutes|59 minutes)$/)
    expect(JSON.stringify(await bea.page.getByRole('alert').allTextContents())).toBe('[]')
    expect(unexpectedErrors(bea)).toEqual([])
  }, 240_000)
})
