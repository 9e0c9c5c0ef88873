import { describe, expect, it } from 'vitest'
import { ClientErrorCode, clientErrorText } from '../../client/core/errors.js'
import { onboard, person, status, storedRecords, unexpectedErrors, useWorld } from './harness.js'

/** What the PWA does before the engine runs: one engine per browser profile, and no overwriting a bad identity. */
const world = useWorld()

describe('startup guards', () => {
  it('runs the engine in one tab only; a second tab waits and takes over when the first closes', async () => {
    const alice = await person(world.browser, 'Alice', `${world.server.url}/`)
    await onboard(alice.page, 'Alice')
    const second = await alice.context.newPage()
    await second.goto(`${world.server.url}/`)
    await second.getByRole('heading', { name: 'FieldChat is open in another tab' }).waitFor()
    expect(await status(second).count()).toBe(0)
    await alice.page.close()
    await status(second).waitFor()
    expect(unexpectedErrors(alice)).toEqual([])
  }, 120_000)

  it('[M200] shows the corrupt-identity message and never replaces the stored keys', async () => {
    const bob = await person(world.browser, 'Bob', `${world.server.url}/`)
    await onboard(bob.page, 'Bob')
    const garbage = await bob.page.evaluate(
      () =>
        new Promise<string>((ok, fail) => {
          const open = indexedDB.open('fieldchat')
          open.onsuccess = () => {
            const tx = open.result.transaction('kv', 'readwrite')
            tx.objectStore('kv').put(Uint8Array.from([0xde, 0xad]), ['identity'])
            tx.oncomplete = () => (open.result.close(), ok(btoa('\xde\xad')))
            tx.onerror = () => fail(tx.error)
          }
        }),
    )
    await bob.page.reload()
    await bob.page.getByRole('alert').filter({ hasText: clientErrorText[ClientErrorCode.IDENTITY_CORRUPT] }).waitFor()
    expect(await bob.page.getByRole('textbox', { name: 'Display name' }).count()).toBe(0)
    // The identity's slot is its namespace alone ([M28]): the damaged bytes are still there, unreplaced.
    expect(await storedRecords(bob.page, 'identity')).toEqual([garbage])
  }, 120_000)
})
