import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { afterEach, describe, expect, test } from 'vitest'
import { randomBytes, toBase64Url, toHex } from '../../crypto/verify.js'
import { ErrorCode } from '../../protocol/index.js'
import { describePostgres, pgSchema } from '../helpers/postgres.js'
import { KeepDevice, today } from './helpers/keepDevice.js'
import { startServerProcess, type ServerProcess } from './helpers/serverProcess.js'

/**
 * [S56] Against the real server process: envelopes pushed with a keep-until day already past
 * (today − 3) for one document and forever for another; the restart's sweep drops the first.
 * Then a copy of the server's data no longer holds a byte of it, a push to it is refused with
 * 1206, a subscribe gets only caught-up, and the other document is whole.
 */
const running: ServerProcess[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.kill()))
})

const filesUnder = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)]))
/** Every file of the data folder, as a thief would copy it. */
const copyOf = (dir: string): Buffer => Buffer.concat(filesUnder(dir).map((f) => readFileSync(f)))
/** A stretch of an envelope's ciphertext: random-looking bytes nothing else holds. */
const sliceOf = (env: Uint8Array): Buffer => Buffer.from(env.subarray(env.length - 120, env.length - 40))

interface Pushed {
  readonly device: KeepDevice
  readonly dropped: Uint8Array
  readonly kept: Uint8Array
  readonly droppedSlices: Buffer[]
  readonly keptSlices: Buffer[]
}

/** Alice pushes three envelopes of a document whose day is past and two of a forever one. */
async function pushBoth(server: ServerProcess): Promise<Pushed> {
  const device = new KeepDevice()
  await device.connect(server.url)
  const dropped = randomBytes(16)
  const kept = randomBytes(16)
  const gone = [await device.seal(dropped, randomBytes(4000)), await device.seal(dropped, randomBytes(300)), await device.seal(dropped, randomBytes(6000))]
  const stays = [await device.seal(kept, randomBytes(4000)), await device.seal(kept, randomBytes(300))]
  const past = today() - 3
  expect(await device.push([gone[0]!, stays[0]!, gone[1]!], [past, 0, past])).toEqual([{ sseq: 1 }, { sseq: 1 }, { sseq: 2 }])
  expect(await device.push([gone[2]!, stays[1]!], [past, 0])).toEqual([{ sseq: 3 }, { sseq: 2 }])
  device.close()
  return { device, dropped, kept, droppedSlices: gone.map(sliceOf), keptSlices: stays.map(sliceOf) }
}

/** After the restart: what the devices see of both documents. */
async function expectDroppedOverTheWire(server: ServerProcess, p: Pushed): Promise<void> {
  const { device } = p
  await device.connect(server.url)
  expect(await device.subscribe(p.dropped, 0)).toEqual([{ type: 'caught-up', conv: device.conv, doc: p.dropped, cursor: 0 }])
  expect(await device.subscribe(p.dropped, 3)).toEqual([{ type: 'caught-up', conv: device.conv, doc: p.dropped, cursor: 3 }])
  expect(await device.push([await device.seal(p.dropped, randomBytes(50)), await device.seal(p.kept, randomBytes(50))], [0, 0])).toEqual([{ code: ErrorCode.DOC_DROPPED }, { sseq: 3 }])
  const kept = await device.subscribe(p.kept, 0)
  expect(kept.flatMap((m) => (m.type === 'envelopes' ? m.items.map((i) => i.sseq) : []))).toEqual([1, 2, 3])
  device.close()
  // [S8] The log says how many went, and names neither document.
  const out = server.output()
  expect(out).toMatch(/"gone":1,"msg":"dropped documents past their keep-until day"/)
  for (const id of [p.dropped, p.kept]) for (const text of [toHex(id), toBase64Url(id)]) expect(out).not.toContain(text)
}

describe('[S56] keep-until days on the real server (SQLite)', () => {
  test('[S56][S8] a document past its day is dropped by the sweep at start: gone from a copy of the data folder (and its WAL), 1206 on push, caught-up only on subscribe; the forever document is whole', async () => {
    const server = await startServerProcess()
    running.push(server)
    const p = await pushBoth(server)
    const before = copyOf(server.dataDir)
    for (const s of [...p.droppedSlices, ...p.keptSlices]) expect(before.includes(s)).toBe(true) // the scan finds what is there

    await server.kill()
    await server.restart()
    const after = copyOf(server.dataDir)
    for (const s of p.droppedSlices) expect(after.includes(s)).toBe(false)
    for (const s of p.keptSlices) expect(after.includes(s)).toBe(true)
    await expectDroppedOverTheWire(server, p)
  })
})

describePostgres('[S56] keep-until days on the real server (PostgreSQL)', () => {
  test('[S56][S20] the sweep at start drops the document on PostgreSQL: no row holds its bytes, a tombstone names it, 1206 on push, caught-up only on subscribe', async () => {
    const schema = await pgSchema('keepint')
    try {
      const server = await startServerProcess({ databaseUrl: schema.url })
      running.push(server)
      const p = await pushBoth(server)
      await server.kill()
      await server.restart()

      const client = new pg.Client({ connectionString: schema.url })
      await client.connect()
      try {
        const holding = async (slice: Buffer) => (await client.query<{ n: number }>(
          'SELECT (SELECT count(*) FROM envelopes WHERE position($1::bytea IN bytes) > 0) + (SELECT count(*) FROM snapshots WHERE position($1::bytea IN bytes) > 0) AS n', [slice],
        )).rows[0]!.n
        for (const s of p.droppedSlices) expect(Number(await holding(s))).toBe(0)
        for (const s of p.keptSlices) expect(Number(await holding(s))).toBe(1)
        expect((await client.query('SELECT doc, conv FROM dropped')).rows).toEqual([{ doc: Buffer.from(p.dropped), conv: Buffer.from(p.device.conv) }])
        expect((await client.query('SELECT count(*)::int AS n FROM keeps')).rows).toEqual([{ n: 0 }])
      } finally {
        await client.end()
      }
      await expectDroppedOverTheWire(server, p)
    } finally {
      await Promise.all(running.splice(0).map((s) => s.kill()))
      await schema.drop()
    }
  })
})
