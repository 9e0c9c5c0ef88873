import { describe, expect, it } from 'vitest'
import { ClientErrorCode, clientErrorText } from '../../client/core/errors.js'
import {
  WAIT, createConversation, inviteLink, messageTexts, onboard, person, send, storedRecord,
  unexpectedErrors, useWorld,
} from './harness.js'

/**
 * [M100][M102] A damaged invitation link, or one of the retired `#join=` format, explains itself
 * with its coded message and changes nothing stored on the device.
 */
const world = useWorld()

describe('[M100][M102] mangled and retired invitation links', () => {
  it('shows the M100 and M102 alerts and leaves the identity, conversations and messages untouched', async () => {
    const alice = await person(world.browser, 'Alice', `${world.server.url}/`)
    const { page } = alice
    await onboard(page, 'Alice')
    await createConversation(page, 'Site B')
    await send(page, 'keep me')
    const link = await inviteLink(page)
    const conv = new URL(await page.evaluate(() => location.href)).hash.replace('#c=', '')
    const identityBefore = await storedRecord(page, ['identity'])
    const convBefore = await storedRecord(page, ['conv', conv])
    expect(identityBefore).toBeDefined()
    expect(convBefore).toBeDefined()

    const start = link.indexOf('#org=')
    const truncated = link.slice(0, start + Math.floor((link.length - start) / 2))
    const malformed = page.getByRole('alert').filter({ hasText: clientErrorText[ClientErrorCode.INVITE_MALFORMED] })

    // Opened in the running app (a hash change) and on a fresh load.
    await page.goto(truncated)
    await malformed.waitFor()
    await page.reload()
    await malformed.waitFor()
    expect(await page.getByRole('button', { name: /^Join/ }).count()).toBe(0)

    // A link of the retired format (it carried the conversation key itself) lets nobody in: M102.
    const retired = page.getByRole('alert').filter({ hasText: clientErrorText[ClientErrorCode.INVITE_RETIRED] })
    await page.goto(`${world.server.url}/#join=${'A'.repeat(43)}`)
    await retired.waitFor()
    await page.reload()
    await retired.waitFor()
    expect(await page.getByRole('button', { name: /^Join/ }).count()).toBe(0)

    await page.getByRole('link', { name: 'Back to conversations' }).click()
    await page.getByRole('link', { name: 'Site B' }).click()
    await expect.poll(() => messageTexts(page), WAIT).toEqual(['keep me'])
    await page.getByText('Signed in on this device as Alice.').waitFor()
    expect(await storedRecord(page, ['identity'])).toBe(identityBefore)
    expect(await storedRecord(page, ['conv', conv])).toBe(convBefore)
    expect(unexpectedErrors(alice)).toEqual([])
  }, 120_000)
})
