import { Encoder } from 'cbor-x'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { MAX_ENVELOPE_BYTES, MAX_MAIL_BYTES, MAX_MAIL_RECIPIENTS, MAX_MAIL_ROWS, decodeClientFrame, decodeServerFrame, encodeFrame, type ClientMessage } from '../../protocol/index.js'
import { ALL_CLIENT, ALL_SERVER, CLIENT_EXAMPLES } from './frames.js'

/** Encodes anything, including shapes the types forbid, the way a hostile peer could. */
const raw = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false })
const frameOf = (value: unknown) => raw.encode(value) as Uint8Array
const refused = (frame: Uint8Array) => {
  const decoded = decodeClientFrame(frame)
  return decoded.ok === false && typeof decoded.reason === 'string'
}
const withField = <T extends ClientMessage>(m: T, patch: Record<string, unknown>) => ({ ...m, ...patch })

describe('[P3] inbound frames are validated before use; a bad frame is ok:false, never a throw', () => {
  test('[P3] garbage bytes and the empty frame', () => {
    for (const bytes of [new Uint8Array(0), new Uint8Array([0xff]), new Uint8Array([0x1c]), new TextEncoder().encode('{"type":"ping","t":1}')]) {
      expect(refused(bytes)).toBe(true)
    }
  })

  test('[P3] every strict prefix of every valid frame is refused', () => {
    for (const m of ALL_CLIENT) {
      const frame = encodeFrame(m)
      for (let cut = 0; cut < frame.length; cut++) expect(refused(frame.subarray(0, cut)), `${m.type} cut at ${cut}`).toBe(true)
    }
  })

  test('[P3] [P4] trailing bytes after the one CBOR item are refused', () => {
    for (const m of ALL_CLIENT) expect(refused(new Uint8Array([...encodeFrame(m), 0x00])), m.type).toBe(true)
  })

  test('[P3] unknown type tags, missing tags and non-map values', () => {
    for (const value of [{ type: 'nope' }, { t: 1 }, { type: 'PING', t: 1 }, ['ping', 1], 'ping', 42, null, true]) {
      expect(refused(frameOf(value)), JSON.stringify(value)).toBe(true)
    }
  })

  test('[P3] extra fields are refused (strict objects)', () => {
    for (const m of ALL_CLIENT) expect(refused(frameOf(withField(m, { extra: 1 }))), m.type).toBe(true)
  })

  test('[P3] missing fields are refused', () => {
    for (const m of ALL_CLIENT) {
      for (const key of Object.keys(m).filter((k) => k !== 'type')) {
        const copy: Record<string, unknown> = { ...m }
        delete copy[key]
        expect(refused(frameOf(copy)), `${m.type} without ${key}`).toBe(true)
      }
    }
  })

  test('[P3] wrong field types: strings for numbers, numbers for bytes, floats and negatives for integers', () => {
    const bad: unknown[] = [
      withField(CLIENT_EXAMPLES.hello, { v: '1' }),
      withField(CLIENT_EXAMPLES.hello, { device: Array.from({ length: 32 }, () => 1) }),
      withField(CLIENT_EXAMPLES.join, { epoch: 1.5 }),
      withField(CLIENT_EXAMPLES.join, { epoch: -1 }),
      withField(CLIENT_EXAMPLES.join, { epoch: 2 ** 32 }),
      withField(CLIENT_EXAMPLES.push, { id: -1 }),
      withField(CLIENT_EXAMPLES.push, { id: 2 ** 53 }),
      withField(CLIENT_EXAMPLES.push, { envelopes: new Uint8Array(10) }),
      withField(CLIENT_EXAMPLES.push, { envelopes: ['abc'] }),
      withField(CLIENT_EXAMPLES.subscribe, { cursor: Number.NaN }),
      withField(CLIENT_EXAMPLES.subscribe, { cursor: '0' }),
      withField(CLIENT_EXAMPLES.ping, { t: Number.POSITIVE_INFINITY }),
      withField(CLIENT_EXAMPLES.ping, { t: null }),
    ]
    for (const value of bad) expect(refused(frameOf(value)), JSON.stringify(value)).toBe(true)
  })

  test('[P3] [P5] ids, keys and proofs must have their exact byte lengths', () => {
    const bad: unknown[] = [
      withField(CLIENT_EXAMPLES.hello, { device: new Uint8Array(31) }),
      withField(CLIENT_EXAMPLES.hello, { device: new Uint8Array(33) }),
      withField(CLIENT_EXAMPLES.hello, { proof: new Uint8Array(63) }),
      withField(CLIENT_EXAMPLES.join, { conv: new Uint8Array(15) }),
      withField(CLIENT_EXAMPLES.join, { cap: new Uint8Array(16) }),
      withField(CLIENT_EXAMPLES.subscribe, { doc: new Uint8Array(17) }),
      withField(CLIENT_EXAMPLES.unsubscribe, { conv: new Uint8Array(0) }),
      // ids spelled as text on the wire are refused: ids travel as raw bytes
      withField(CLIENT_EXAMPLES.subscribe, { conv: 'AAAAAAAAAAAAAAAAAAAAAA' }),
    ]
    for (const value of bad) expect(refused(frameOf(value))).toBe(true)
  })

  test('[P6] a push carries 1 to 256 envelopes of at most 1 MiB each', () => {
    expect(refused(frameOf(withField(CLIENT_EXAMPLES.push, { envelopes: [] })))).toBe(true)
    expect(refused(frameOf(withField(CLIENT_EXAMPLES.push, { envelopes: Array.from({ length: 257 }, () => new Uint8Array(1)) })))).toBe(true)
    expect(refused(frameOf(withField(CLIENT_EXAMPLES.push, { envelopes: [new Uint8Array(MAX_ENVELOPE_BYTES + 1)] })))).toBe(true)
    expect(refused(frameOf(withField(CLIENT_EXAMPLES.push, { envelopes: Array.from({ length: 256 }, () => new Uint8Array(1)) })))).toBe(false)
    expect(refused(frameOf(withField(CLIENT_EXAMPLES.push, { envelopes: [new Uint8Array(MAX_ENVELOPE_BYTES)] })))).toBe(false)
  })

  test('[S11] [P6] a mail names 1 to 10,000 distinct 32-byte devices and carries 1 to 64 items of at most 1 MiB', () => {
    const devices = (n: number) => Array.from({ length: n }, (_, i) => new Uint8Array(32).fill(i % 256).fill(i >> 8, 0, 2))
    const mail = (patch: Record<string, unknown>) => frameOf(withField(CLIENT_EXAMPLES.mail, patch))
    expect(refused(mail({ to: [] }))).toBe(true)
    expect(refused(mail({ to: devices(MAX_MAIL_RECIPIENTS + 1) }))).toBe(true)
    expect(refused(mail({ to: [new Uint8Array(31)] }))).toBe(true)
    expect(refused(mail({ to: new Uint8Array(32) }))).toBe(true) // the old single-device shape
    expect(refused(mail({ items: [new Uint8Array(MAX_MAIL_BYTES + 1)] }))).toBe(true)
    expect(refused(mail({ items: Array.from({ length: 65 }, () => new Uint8Array(1)) }))).toBe(true)
    expect(refused(mail({ to: devices(MAX_MAIL_RECIPIENTS) }))).toBe(false)
    expect(refused(mail({ items: [new Uint8Array(MAX_MAIL_BYTES)] }))).toBe(false)
  })

  test('[S11] [P6] decoys: 32-byte, distinct, and with the recipients at most 10,000 rows; mail-done pools only for items it names', () => {
    const dests = (n: number, fill: number) => Array.from({ length: n }, (_, i) => new Uint8Array(32).fill(fill).fill(i % 256, 0, 1).fill(i >> 8, 1, 2))
    const mail = (patch: Record<string, unknown>) => frameOf(withField(CLIENT_EXAMPLES.mail, patch))
    expect(refused(mail({ decoys: dests(6, 200) }))).toBe(false)
    expect(refused(mail({ decoys: [] }))).toBe(false)
    expect(refused(mail({ decoys: [new Uint8Array(31)] }))).toBe(true)
    expect(refused(mail({ decoys: [new Uint8Array(32), new Uint8Array(32)] }))).toBe(true)
    expect(refused(mail({ to: dests(5_000, 1), decoys: dests(5_000, 2) }))).toBe(false)
    expect(refused(mail({ to: dests(5_000, 1), decoys: dests(5_001, 2) }))).toBe(true)
    const done = (patch: Record<string, unknown>) => frameOf(withField(CLIENT_EXAMPLES['mail-done'], patch))
    expect(refused(done({ pools: [{ id: 2, key: new Uint8Array(32) }] }))).toBe(false)
    expect(refused(done({ pools: [{ id: 9, key: new Uint8Array(32) }] }))).toBe(true)
    expect(refused(done({ pools: [{ id: 2, key: new Uint8Array(16) }] }))).toBe(true)
  })

  test('[S11] [P6] a mail adds at most MAX_MAIL_ROWS rows, (recipients + decoys) × items: the 640,000-row frame of issue 9 is refused', () => {
    const dests = (n: number, fill: number) => Array.from({ length: n }, (_, i) => new Uint8Array(32).fill(fill).fill(i % 256, 0, 1).fill(i >> 8, 1, 2))
    const mail = (patch: Record<string, unknown>) => frameOf(withField(CLIENT_EXAMPLES.mail, patch))
    const items = (n: number) => Array.from({ length: n }, () => new Uint8Array(8))
    expect(MAX_MAIL_ROWS).toBe(10_000)
    expect(refused(mail({ to: dests(10_000, 1), items: items(64) }))).toBe(true)
    expect(refused(mail({ to: dests(10_000, 1), items: items(2) }))).toBe(true)
    expect(refused(mail({ to: dests(100, 1), decoys: dests(57, 2), items: items(64) }))).toBe(true) // 10,048 rows with decoys
    expect(refused(mail({ to: dests(156, 1), items: items(64) }))).toBe(false) // 9,984 rows
    expect(refused(mail({ to: dests(157, 1), items: items(64) }))).toBe(true) // 10,048 rows
    expect(refused(mail({ to: dests(10_000, 1), items: items(1) }))).toBe(false)
  })

  test('[S11] a mail naming the same device twice is refused by the schema', () => {
    const alice = new Uint8Array(32).fill(7)
    const bob = new Uint8Array(32).fill(8)
    const decoded = decodeClientFrame(frameOf(withField(CLIENT_EXAMPLES.mail, { to: [alice, bob, alice.slice()] })))
    expect(decoded).toEqual({ ok: false, reason: 'duplicate mail recipient' })
  })

  test('[P3] a __proto__ key cannot smuggle fields past validation', () => {
    const frame = frameOf(new Map<string, unknown>([['type', 'ping'], ['t', 1], ['__proto__', { polluted: true }]]))
    expect(refused(frame)).toBe(true)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  test('[P3] deeply nested input is refused without a crash', () => {
    // 0x81 = an array of one item; hand-made because an encoder would overflow its own stack.
    const deep = (depth: number) => new Uint8Array(depth).fill(0x81)
    const pingPrefix = frameOf({ type: 'ping', t: 1 }).slice(0, -1) // drop the value of t
    for (const depth of [10, 5000, 100_000]) {
      expect(refused(new Uint8Array([...pingPrefix, ...deep(depth), 0x00])), `t nested ${depth} deep`).toBe(true)
      expect(refused(new Uint8Array([...deep(depth), 0x00])), `${depth}-deep array`).toBe(true)
    }
  })

  test('[P3] property: random bytes never throw and never decode to a message', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(refused(bytes)).toBe(true)
        expect(decodeServerFrame(bytes).ok).toBe(false)
      }),
      { numRuns: 2000 },
    )
  })

  test('[P3] property: random mutations of valid frames never throw; anything accepted is a valid message', () => {
    const frames = [...ALL_CLIENT, ...ALL_SERVER].map((m) => encodeFrame(m))
    const mutation = fc.record({
      frame: fc.constantFrom(...frames),
      edits: fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }), kind: fc.constantFrom('set', 'insert', 'delete') }), {
        minLength: 1,
        maxLength: 4,
      }),
    })
    fc.assert(
      fc.property(mutation, ({ frame, edits }) => {
        const bytes = [...frame]
        for (const e of edits) {
          const at = e.at % (bytes.length + 1)
          if (e.kind === 'set' && at < bytes.length) bytes[at] = e.value
          else if (e.kind === 'insert') bytes.splice(at, 0, e.value)
          else bytes.splice(at, 1)
        }
        const mutated = new Uint8Array(bytes)
        for (const decoded of [decodeClientFrame(mutated), decodeServerFrame(mutated)]) {
          if (!decoded.ok) continue
          // Accepted means fully valid: it survives a re-encode and decode unchanged.
          const again = decoded.message.type in CLIENT_EXAMPLES ? decodeClientFrame(encodeFrame(decoded.message)) : decodeServerFrame(encodeFrame(decoded.message))
          expect(again).toEqual({ ok: true, message: decoded.message })
        }
      }),
      { numRuns: 3000 },
    )
  })
})
