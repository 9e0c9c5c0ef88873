import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Encoder } from 'cbor-x'
import { afterAll, describe, expect, test } from 'vitest'
import { randomBytes, toBase64Url, toHex } from '../../crypto/verify.js'
import { ErrorCode, MAX_KEEP_DAY } from '../../protocol/index.js'
import type { ChangeStore } from '../../sync-server/store/ChangeStore.js'
import { openMemoryStore } from '../../sync-server/store/memory.js'
import { openSqliteStore } from '../../sync-server/store/sqlite.js'
import { Device, Room, online, server } from './harness.js'

/**
 * [S56] Keep-until days over the wire, attacked by a modified client: frames with a malformed
 * `keep`, members trying to bring a drop forward, pushes and subscribes to a dropped document.
 * Each store the server runs on (memory, SQLite) gets the same attacks.
 */
const dir = mkdtempSync(join(tmpdir(), 'fieldchat-keep-hostile-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const stores: [string, () => ChangeStore][] = [
  ['memory', () => openMemoryStore()],
  ['sqlite', () => openSqliteStore(join(dir, `s${n++}.sqlite`))],
]
/** Frames a modified client builds by hand: the codec's own options, any shape. */
const raw = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false })
const DAY = 20_500

describe.each(stores)('[S56] keep-until days on the wire (%s store)', (_name, open) => {
  test('[S56][P3] a keep of the wrong length, negative, fractional, above MAX_KEEP_DAY or not a number is BAD_FRAME (1000): nothing stored, the socket keeps working', async () => {
    const srv = server({ store: open() })
    const alice = new Device('alice')
    const room = new Room()
    const peer = await online(srv, alice, room)
    const env = await alice.envelope(room)
    const bad: unknown[] = [[], [DAY, DAY], [-1], [1.5], [MAX_KEEP_DAY + 1], [Number.POSITIVE_INFINITY], [Number.NaN], ['20500'], [null], DAY, { 0: DAY }, null]
    for (const keep of bad) {
      const answer = await peer.ask(raw.encode({ type: 'push', id: 7, envelopes: [env], keep }))
      expect(answer.map((m) => (m.type === 'error' ? [m.code, m.fatal] : m.type)), JSON.stringify(keep)).toEqual([[ErrorCode.BAD_FRAME, false]])
    }
    expect(await srv.ctx.store.read(room.conv, room.doc, 0, 10)).toEqual([])
    expect(await peer.ask({ type: 'ping', t: 3 })).toEqual([{ type: 'pong', t: 3 }])
    // The same envelope, with a keep in range, is stored: only the keep was refused.
    expect(await peer.ask({ type: 'push', id: 8, envelopes: [env], keep: [MAX_KEEP_DAY] })).toEqual([{ type: 'ack', id: 8, results: [{ sseq: 1 }] }])
  })

  test('[S56] a member cannot bring a drop forward: an earlier day after a later one, or any day after forever, changes nothing', async () => {
    const srv = server({ store: open() })
    const [alice, bob] = [new Device('alice'), new Device('bob')]
    const timed = new Room()
    const kept = new Room()
    const a = await online(srv, alice, timed)
    await kept.join(a)
    const b = await online(srv, bob, timed)
    await kept.join(b)
    await a.ask({ type: 'push', id: 1, envelopes: [await alice.envelope(timed), await alice.envelope(kept)], keep: [DAY + 30, 0] })
    // Bob (a member, or a thief of a member's capability) names the earliest days it may.
    await b.ask({ type: 'push', id: 2, envelopes: [await bob.envelope(timed), await bob.envelope(kept)], keep: [DAY, DAY] })
    await b.ask({ type: 'push', id: 3, envelopes: [await bob.envelope(timed), await bob.envelope(kept)], keep: [1, 1] })
    expect(await srv.ctx.store.dropExpired(DAY + 30)).toBe(0)
    expect((await srv.ctx.store.read(timed.conv, timed.doc, 0, 10)).length).toBe(3)
    expect(await srv.ctx.store.dropExpired(DAY + 31)).toBe(1)
    expect(await srv.ctx.store.read(timed.conv, timed.doc, 0, 10)).toEqual([])
    expect(await srv.ctx.store.dropExpired(MAX_KEEP_DAY + 1)).toBe(0)
    expect((await srv.ctx.store.read(kept.conv, kept.doc, 0, 10)).length).toBe(3)
  })

  test('[S56] a dropped document: each of its envelopes is acked 1206 and not fanned out, the rest of the push is stored; a subscribe gets caught-up at its cursor and nothing else', async () => {
    const srv = server({ store: open() })
    const [alice, bob] = [new Device('alice'), new Device('bob')]
    const room = new Room()
    const a = await online(srv, alice, room)
    const b = await online(srv, bob, room)
    await a.ask({ type: 'push', id: 1, envelopes: [await alice.envelope(room), await alice.envelope(room)], keep: [DAY, DAY] })
    // Bob follows the document from before the drop, and stays subscribed through it.
    await b.ask({ type: 'subscribe', conv: room.conv, doc: room.doc, cursor: 0 }, 2)
    expect(await srv.ctx.store.dropExpired(DAY + 1)).toBe(1)

    const otherDoc = randomBytes(16)
    const from = b.trace.length
    const pushed = await a.ask({ type: 'push', id: 2, envelopes: [await alice.envelope(room), await alice.envelope(room, otherDoc), await bob.envelope(room)], keep: [0, 0, DAY + 50] })
    expect(pushed).toEqual([{ type: 'ack', id: 2, results: [{ code: ErrorCode.DOC_DROPPED }, { sseq: 1 }, { code: ErrorCode.DOC_DROPPED }] }])
    expect(await srv.ctx.store.read(room.conv, room.doc, 0, 10)).toEqual([])
    await a.ask({ type: 'ping', t: 1 }) // a round trip: a fan-out would have reached bob by now
    expect(b.trace.slice(from)).toEqual([])

    for (const cursor of [0, 2, 9]) {
      const c = await online(srv, new Device('carol'), room)
      expect(await c.ask({ type: 'subscribe', conv: room.conv, doc: room.doc, cursor })).toEqual([{ type: 'caught-up', conv: room.conv, doc: room.doc, cursor }])
      await c.ask({ type: 'ping', t: 2 })
      expect(c.types().slice(-2)).toEqual(['caught-up', 'pong'])
    }
    // [S8] Logs: codes and counts, never the dropped document's id.
    const logs = srv.logs.join('\n')
    expect(logs).not.toContain(toHex(room.doc))
    expect(logs).not.toContain(toBase64Url(room.doc))
  })
})
