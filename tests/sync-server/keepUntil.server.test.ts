import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test, vi } from 'vitest'
import { randomBytes, toBase64Url, toHex } from '../../crypto/verify.js'
import { ErrorCode } from '../../protocol/index.js'
import { startSyncServer } from '../../sync-server/server.js'
import { KeepDevice, today } from '../integration/helpers/keepDevice.js'
import { captureLogs } from './harness.js'

/**
 * [S56] The server's sweep at start, with its clock moved forward (the `now` option): the same
 * data folder opened on a later day drops what expired, and only that.
 */
const dir = mkdtempSync(join(tmpdir(), 'fieldchat-keep-server-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const DAY_MS = 86_400_000

test('[S56] the sweep at start uses the server\'s clock: a document is kept through its day and dropped the day after; a forever document stays; only a count is logged', async () => {
  const alice = new KeepDevice()
  const timed = randomBytes(16)
  const forever = randomBytes(16)
  const day = today() + 2
  const start = async (shift: number) => {
    const captured = captureLogs()
    const server = await startSyncServer({ port: 0, host: '127.0.0.1', dataDir: dir, log: captured.log, now: () => Date.now() + shift * DAY_MS })
    await alice.connect(server.url.replace('http', 'ws') + '/sync')
    return { server, lines: captured.lines }
  }

  const first = await start(0)
  expect(await alice.push([await alice.seal(timed, new Uint8Array(100)), await alice.seal(forever, new Uint8Array(100))], [day, 0])).toEqual([{ sseq: 1 }, { sseq: 1 }])
  // A member naming an earlier day (even one already past) changes nothing.
  expect(await alice.push([await alice.seal(timed, new Uint8Array(100))], [today() - 5])).toEqual([{ sseq: 2 }])
  alice.close()
  await first.server.close()

  // On the day itself the document is kept.
  const second = await start(2)
  expect((await alice.subscribe(timed, 0)).map((m) => m.type)).toEqual(['envelopes', 'caught-up'])
  alice.close()
  await second.server.close()

  const third = await start(3)
  expect(await alice.subscribe(timed, 0)).toEqual([{ type: 'caught-up', conv: alice.conv, doc: timed, cursor: 0 }])
  expect(await alice.subscribe(timed, 2)).toEqual([{ type: 'caught-up', conv: alice.conv, doc: timed, cursor: 2 }])
  expect(await alice.push([await alice.seal(timed, new Uint8Array(10)), await alice.seal(forever, new Uint8Array(10))], [0, 0])).toEqual([{ code: ErrorCode.DOC_DROPPED }, { sseq: 2 }])
  const kept = await alice.subscribe(forever, 0)
  expect(kept.flatMap((m) => (m.type === 'envelopes' ? m.items.map((i) => i.sseq) : []))).toEqual([1, 2])
  alice.close()
  await third.server.close()

  const logs = third.lines.join('')
  expect(third.lines.map((l) => JSON.parse(l) as { msg: string; gone?: number }).filter((l) => l.msg.startsWith('dropped documents'))).toMatchObject([{ gone: 1 }])
  for (const id of [timed, forever]) for (const text of [toHex(id), toBase64Url(id)]) expect(logs).not.toContain(text)
  expect(first.lines.concat(second.lines).some((l) => l.includes('dropped documents'))).toBe(false)
})

test('[S56] the sweep runs again every hour: a document whose day passes while the server runs is dropped without a restart', async () => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
  let shift = 0
  const server = await startSyncServer({ port: 0, host: '127.0.0.1', dataDir: mkdtempSync(join(dir, 'hourly-')), log: captureLogs().log, now: () => Date.now() + shift * DAY_MS })
  try {
    const alice = new KeepDevice()
    const doc = randomBytes(16)
    await alice.connect(server.url.replace('http', 'ws') + '/sync')
    expect(await alice.push([await alice.seal(doc, new Uint8Array(50))], [today() + 1])).toEqual([{ sseq: 1 }])
    shift = 2
    vi.advanceTimersByTime(3_600_000)
    // Asked without changing anything (a push of forever, landing first, would keep it).
    await vi.waitFor(async () => {
      expect((await alice.subscribe(doc, 0)).map((m) => m.type)).toEqual(['caught-up'])
    }, { timeout: 5_000, interval: 50 })
    expect(await alice.push([await alice.seal(doc, new Uint8Array(50))], [0])).toEqual([{ code: ErrorCode.DOC_DROPPED }])
    alice.close()
  } finally {
    vi.useRealTimers()
    await server.close()
  }
})
