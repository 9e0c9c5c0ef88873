import { describe, expect, it } from 'vitest'
import { ClientErrorCode, clientErrorText } from '../../client/core/errors.js'
import {
  WAIT, createConversation, inviteLink, messageTexts, onboard, person, send, storedRecords,
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
    // Sealed and under hidden keys ([M28]): compared as the stored bytes of their namespaces.
    const identityBefore = await storedRecords(page, 'identity')
    const convBefore = await storedRecords(page, 'conv')
    expect(identityBefore).toHaveLength(1)
    expect(convBefore).toHaveLength(1)

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
    expect(await storedRecords(page, 'identity')).toEqual(identityBefore)
    // The conversation's record is sealed again when the engine re-applies its graph on a load
    // (a fresh nonce): still one, and what it holds is shown above.
    expect(await storedRecords(page, 'conv')).toHaveLength(convBefore.length)
    expect(unexpectedErrors(alice)).toEqual([])
  }, 120_000)
})
