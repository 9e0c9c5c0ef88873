import { describe, expect, it } from 'vitest'
import { WAIT, createConversation, log, onboard, person, unexpectedErrors, useWorld } from './harness.js'

/**
 * [U10] Link checks in the built PWA (Chromium, the real server). Ana posts the kind of message a
 * phishing kit produces — a Cyrillic look-alike of apple.com in punycode, a user-info trick and a
 * `javascript:` labelled link — beside the team's real manual. The view marks the first two with
 * their reasons in words, makes the third plain text, leaves the manual alone; opening a warned
 * link asks first, with Cancel focused, and Cancel keeps the page. No request leaves for any
 * host but the app's own.
 */
const world = useWorld()

const LOOKALIKE = 'https://xn--pple-43d.com/login'
const USERINFO = 'https://bank.com@evil.example/login'
const MANUAL = 'https://example.com/manual'
const TEXT = `Update your login at ${LOOKALIKE} or ${USERINFO} [free gift](javascript:alert(1)) — manual: ${MANUAL}`

describe('[U10] a look-alike link flagged', () => {
  it('[U10] marks the look-alike and the user-info link with their reasons, asks before opening one, and Cancel keeps the page', async () => {
    const ana = await person(world.browser, 'Ana', `${world.server.url}/`)
    const origin = new URL(world.server.url).origin
    const elsewhere: string[] = []
    ana.context.on('request', (r) => {
      if (!r.url().startsWith(origin) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) elsewhere.push(r.url())
    })
    const page = ana.page
    await onboard(page, 'Ana')
    await createConversation(page, 'Dock 4')

    const box = page.getByRole('textbox', { name: 'Message', exact: true })
    await box.fill(TEXT)
    await box.press('Enter')
    const message = log(page).getByRole('listitem').filter({ hasText: 'Update your login' })
    await message.waitFor({ timeout: WAIT.timeout })
    await expect.poll(() => box.inputValue(), WAIT).toBe('')

    // Three links are <a> elements; the javascript: one is not a link at all.
    const links = message.getByRole('link')
    await expect.poll(() => links.count(), WAIT).toBe(3)
    expect(await links.evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute('href'), a.getAttribute('target'), a.getAttribute('rel')]))).toEqual([
      [LOOKALIKE, LOOKALIKE, '_blank', 'noopener noreferrer nofollow'],
      [USERINFO, USERINFO, '_blank', 'noopener noreferrer nofollow'],
      [MANUAL, MANUAL, '_blank', 'noopener noreferrer nofollow'],
    ])
    expect(await message.locator('a[href^="javascript:"]').count()).toBe(0)

    // Each flagged link is described by a visible mark that gives its reasons in words.
    const described = await links.evaluateAll((as) =>
      as.map((a) => {
        const id = a.getAttribute('aria-describedby')
        const mark = id ? document.getElementById(id) : null
        return { codes: mark ? [...mark.querySelectorAll('[data-code]')].map((r) => r.getAttribute('data-code')) : [], text: mark?.textContent ?? '', visible: !!mark && mark.getClientRects().length > 0 }
      }),
    )
    expect(described.map((d) => d.codes)).toEqual([['U102_PUNYCODE', 'U103_MIXED_SCRIPT'], ['U107_USERINFO'], []])
    expect(described[0]!.visible && described[1]!.visible).toBe(true)
    expect(described[0]!.text).toContain('Check this link:')
    expect(described[0]!.text).toContain('it reads as “\u0430pple.com”')
    expect(described[0]!.text).toContain('mixes Cyrillic and Latin letters')
    expect(described[1]!.text).toContain('This link goes to evil.example. “bank.com” before the @ is only a user name, not the site.')
    const blocked = message.getByTestId('link-mark').filter({ hasText: 'Blocked link:' })
    await expect.poll(() => blocked.textContent(), WAIT).toContain('javascript: links run code')
    expect(await message.getByTestId('link-mark').count()).toBe(3)

    // Following the user-info link asks first; Cancel is focused and keeps the page.
    const pages = ana.context.pages().length
    const before = page.url()
    await links.nth(1).click()
    const dialog = page.getByRole('dialog', { name: 'Open this link?' })
    await dialog.waitFor({ timeout: WAIT.timeout })
    expect(await dialog.textContent()).toContain('This link goes to evil.example, not bank.com. Open anyway?')
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent?.trim()), WAIT).toBe('Cancel')
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    await dialog.waitFor({ state: 'detached', timeout: WAIT.timeout })
    expect(page.url()).toBe(before)
    expect(ana.context.pages()).toHaveLength(pages)

    // The look-alike asks too (it pretends nothing, so the question names only where it goes); Escape cancels.
    await links.nth(0).click()
    await dialog.waitFor({ timeout: WAIT.timeout })
    expect(await dialog.textContent()).toContain('This link goes to \u0430pple.com. Open anyway?')
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'detached', timeout: WAIT.timeout })
    expect(page.url()).toBe(before)
    expect(ana.context.pages()).toHaveLength(pages)

    // Nothing was looked up anywhere: every request went to the app's own origin.
    expect(elsewhere).toEqual([])
    expect(unexpectedErrors(ana)).toEqual([])
  }, 180_000)
})
