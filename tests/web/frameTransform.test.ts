import { describe, expect, test } from 'vitest'
import { generateFrameBaseKey } from '../../crypto/index.js'
import { FrameTransform } from '../../client/web/calls/frameTransform.js'

/** [W33] A call's frame transforms, attacked apart from the browser: fail closed, keys by KID, the last four kept. */
const frame = Uint8Array.from({ length: 900 }, (_, i) => (i * 13) & 255)

describe('[W33] frame transforms', () => {
  test('a sender with no key yet passes nothing on, never the frame in the clear; with its key, a sealed frame that only its receiver opens', async () => {
    const send = new FrameTransform('send')
    expect(await send.frame(frame, 10)).toEqual({})
    const key = generateFrameBaseKey()
    await send.give({ send: { kid: 1, key, slot: 0 } })
    const sealed = (await send.frame(frame, 10)).out!
    expect(sealed.subarray(0, 10)).toEqual(frame.subarray(0, 10))
    expect(Buffer.from(sealed).includes(Buffer.from(frame.subarray(10, 60)))).toBe(false)

    const receive = new FrameTransform('receive')
    // Not given the key: dropped, and the page is told to ask for it.
    expect(await receive.frame(sealed, 10)).toEqual({ missing: true })
    await receive.give({ keys: [{ kid: 1, key }] })
    expect((await receive.frame(sealed, 10)).out).toEqual(frame)
    // An altered frame is dropped without a word.
    const altered = sealed.slice()
    altered[40]! ^= 1
    expect(await receive.frame(altered, 10)).toEqual({})
    // A frame in the clear is not passed on (its bytes may read as an unknown KID: a key ask, rate-limited by the page).
    expect((await receive.frame(frame, 10)).out).toBeUndefined()
  })

  test('after a rotation frames under the new KID open; a receiver keeps its sender\'s last four KIDs only', async () => {
    const send = new FrameTransform('send')
    const receive = new FrameTransform('receive')
    const keys = Array.from({ length: 6 }, (_, i) => ({ kid: i + 1, key: generateFrameBaseKey() }))
    const sealedUnder: Uint8Array[] = []
    for (const k of keys) {
      await send.give({ send: { ...k, slot: 0 } })
      sealedUnder.push((await send.frame(frame, 3)).out!)
    }
    await receive.give({ keys })
    const opens = await Promise.all(sealedUnder.map(async (s) => !!(await receive.frame(s, 3)).out))
    expect(opens).toEqual([false, false, true, true, true, true])
  })
})
