import { Decoder } from 'cbor-x'
import { describe, expect, test } from 'vitest'
import { PROTOCOL_VERSION, clientMessageSchema, decodeClientFrame, decodeServerFrame, encodeFrame, serverMessageSchema } from '../../protocol/index.js'
import { ALL_CLIENT, ALL_SERVER, CLIENT_EXAMPLES, SERVER_EXAMPLES } from './frames.js'

describe('[P4] CBOR codec', () => {
  test.each(ALL_CLIENT.map((m) => [m.type, m] as const))('[P4] client %s round-trips', (_type, message) => {
    expect(decodeClientFrame(encodeFrame(message))).toEqual({ ok: true, message })
  })

  test.each(ALL_SERVER.map((m) => [m.type, m] as const))('[P4] server %s round-trips', (_type, message) => {
    expect(decodeServerFrame(encodeFrame(message))).toEqual({ ok: true, message })
  })

  test('[P4] decoded byte fields are plain Uint8Arrays (not Node Buffers)', () => {
    const decoded = decodeClientFrame(encodeFrame(CLIENT_EXAMPLES.push))
    expect(decoded.ok && decoded.message.type === 'push' && decoded.message.envelopes[0]!.constructor).toBe(Uint8Array)
  })

  test('[P4] frames are plain CBOR maps with byte strings: no records, no typed-array tags', () => {
    const frame = encodeFrame(CLIENT_EXAMPLES.hello)
    expect(frame[0]! >> 5).toBe(5) // major type 5: a map
    const device = frame.indexOf(0x58) // byte string, 1-byte length follows
    expect(frame[device + 1]).toBe(32)
    expect(frame.includes(0xd8)).toBe(false) // no 1-byte tags (tag 64 for Uint8Array)
    expect(frame.includes(0xd9)).toBe(false) // no 2-byte tags (cbor-x records use 0xd9dfxx)
    // A generic decoder with no shared structures reads it back.
    expect(new Decoder({ useRecords: false, mapsAsObjects: true }).decode(frame)).toMatchObject({ type: 'hello', v: 3 })
  })

  test('[P1] the protocol version is one constant, carried by challenge, hello and welcome', () => {
    expect(PROTOCOL_VERSION).toBe(7)
    expect(CLIENT_EXAMPLES.hello).toHaveProperty('v')
    expect(SERVER_EXAMPLES.challenge[0]).toHaveProperty('v')
    expect(SERVER_EXAMPLES.welcome[0]).toHaveProperty('v')
  })

  test('[P2] each direction is one union whose tags match the schema, one schema per tag', () => {
    const tags = (schema: typeof clientMessageSchema | typeof serverMessageSchema) => schema.options.map((o) => o.shape.type.value).sort()
    expect(tags(clientMessageSchema)).toEqual(Object.keys(CLIENT_EXAMPLES).sort())
    expect(tags(serverMessageSchema)).toEqual(Object.keys(SERVER_EXAMPLES).sort())
  })

  test('[P3] a client frame is not a server frame and vice versa', () => {
    for (const m of ALL_CLIENT) expect(decodeServerFrame(encodeFrame(m)).ok, m.type).toBe(false)
    for (const m of ALL_SERVER) expect(decodeClientFrame(encodeFrame(m)).ok, m.type).toBe(false)
  })
})
