import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { convIdOf, deviceIdOf, docIdOf, idBytes, parseConvId, parseDeviceId, parseDocId } from '../../protocol/index.js'

describe('[P5] ids are raw bytes on the wire and canonical base64url in text', () => {
  test('[P5] a 16-byte conversation or document id is 22 characters and round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const conv = convIdOf(bytes)
        expect(conv).toHaveLength(22)
        expect(parseConvId(conv)).toBe(conv)
        expect(parseDocId(docIdOf(bytes))).toBe(conv)
        expect(idBytes(conv)).toEqual(bytes)
      }),
    )
  })

  test('[P5] a 32-byte device id is 43 characters and round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const device = deviceIdOf(bytes)
        expect(device).toHaveLength(43)
        expect(parseDeviceId(device)).toBe(device)
        expect(idBytes(device)).toEqual(bytes)
      }),
    )
  })

  test('[P5] wrong lengths, padding, other alphabets, non-canonical spellings and non-strings are refused', () => {
    const conv = convIdOf(new Uint8Array(16).fill(0xff)) // ends in 'w': 2 spare bits, both zero
    expect(conv.endsWith('w')).toBe(true)
    for (const bad of [conv.slice(1), `${conv}A`, `${conv.slice(0, 21)}x`, `${conv.slice(0, 20)}+w`, `${conv}==`, conv.replace('_', '/'), 42, null, undefined, {}]) {
      expect(parseConvId(bad), String(bad)).toBeUndefined()
      expect(parseDocId(bad), String(bad)).toBeUndefined()
    }
    const device = deviceIdOf(new Uint8Array(32))
    expect(parseDeviceId(device.slice(0, 42))).toBeUndefined()
    expect(parseDeviceId(`${device.slice(0, 42)}B`)).toBeUndefined() // non-zero spare bits
    expect(parseDeviceId(convIdOf(new Uint8Array(16)))).toBeUndefined()
  })
})
