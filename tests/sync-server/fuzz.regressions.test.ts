import { readFileSync } from 'node:fs'
import type { Socket } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { generateDeviceKeys, randomBytes } from '../../crypto/index.js'
import { ErrorCode } from '../../protocol/index.js'
import { DecoyPoolCache } from '../../sync-server/decoyPools.js'
import { startSyncServer, SYNC_PATH, type RunningServer } from '../../sync-server/server.js'
import { openMemoryStore } from '../../sync-server/store/memory.js'
import { rawClient, type RawClient } from '../integration/helpers/rawClient.js'
import { startServerProcess, type ServerProcess } from '../integration/helpers/serverProcess.js'
import { mailboxOf } from '../helpers/hello.js'
import { captureLogs } from './harness.js'

/**
 * Regressions the hostile-frame fuzzer (bench/fuzz) found, each with its exact frames, against
 * the real server process with its default limits. A stall is what the fuzzer calls one: a
 * /healthz answer taking over 1 s while the frame is handled.
 */
let server: ServerProcess
beforeAll(async () => {
  server = await startServerProcess()
})
afterAll(() => server.kill())

/** The server's main thread: ms it ran and ms it waited for a CPU (/proc/<pid>/schedstat; 0s where there is none). */
function sched(): [number, number] {
  try {
    const [ran, waited] = readFileSync(`/proc/${server.pid()}/schedstat`, 'utf8').split(' ').map(Number)
    return [ran! / 1e6, waited! / 1e6]
  } catch {
    return [0, 0]
  }
}

/**
 * The slowest /healthz answer while `work` runs, probing every 50 ms from this process — among
 * answers the server was slow to give itself: an answer during which its main thread waited for
 * a CPU longer than it ran, and ran less than half the time, was late because the machine was
 * crowded (other jobs), not because the server was busy, and is not a stall of the server's.
 */
async function slowestHealth(work: () => Promise<void>): Promise<number> {
  let slowest = 0
  let done = false
  const probe = (async () => {
    while (!done) {
      const t = performance.now()
      const [ran0, waited0] = sched()
      await fetch(`${server.httpUrl}/healthz`, { signal: AbortSignal.timeout(60_000) })
      const ms = performance.now() - t
      const [ran1, waited1] = sched()
      const starved = waited1 - waited0 > ran1 - ran0 && ran1 - ran0 < ms / 2
      if (!starved) slowest = Math.max(slowest, ms)
      await new Promise((r) => setTimeout(r, 50))
    }
  })()
  await work()
  await new Promise((r) => setTimeout(r, 200))
  done = true
  await probe
  return slowest
}

async function authenticated(keys = generateDeviceKeys()): Promise<RawClient> {
  const c = await rawClient(server.url, keys)
  await c.hello()
  return c
}

describe('[S11][S6] fuzzer regressions: decoy pools', () => {
  test('[S11][S6] one mail-done naming 8 decoy pool keys for items of fanout 10,000 does not stall the server (8 pools of 20,000 hashes each in one frame: 3.6 s on this machine at load 1, 9.7 s at load 10, 2026-12-05)', async () => {
    const victimKeys = generateDeviceKeys()
    const victim = await authenticated(victimKeys)
    // 8 items in the victim's own mailbox, each posted with 9,999 decoys (fanout 10,000, the most
    // [P6] allows): 4 poster devices, 2 posts each, within every default budget ([S22]: 20,000 rows).
    for (let p = 0; p < 4; p++) {
      const poster = await authenticated()
      for (let i = 0; i < 2; i++) {
        poster.send({ type: 'mail', id: i, to: [mailboxOf(victimKeys)], decoys: Array.from({ length: 9_999 }, () => randomBytes(32)), items: [randomBytes(64)] })
        expect((await poster.next('ack', 30_000)).results[0]).toHaveProperty('sseq')
      }
      poster.socket.close()
    }
    const ids: number[] = []
    while (ids.length < 8) {
      const box = await victim.next('mailbox', 30_000)
      ids.push(...box.items.map((item) => item.id))
    }
    // The frame: {type: 'mail-done', ids, pools: [{id, key}] × 8}, every key a random 32 bytes.
    const slowest = await slowestHealth(async () => {
      victim.send({ type: 'mail-done', ids, pools: ids.map((id) => ({ id, key: randomBytes(32) })) })
      victim.send({ type: 'ping', t: 1 })
      await victim.next('pong', 60_000)
    })
    victim.socket.close()
    expect(slowest, `slowest /healthz answer while the mail-done was handled: ${Math.round(slowest)} ms`).toBeLessThan(1_000)
  }, 120_000)

  test('[S11] a cached decoy pool of 20,000 entries costs under 4 MiB of memory (64 are kept; found explaining the fuzzer\'s RSS growth: 17 MiB each, 1.1 GiB for 64)', () => {
    // The hex strings are built by concatenation (crypto toHex): each stays a rope of 32 pieces, about 860 bytes.
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const cache = new DecoyPoolCache()
    gc()
    const before = process.memoryUsage().heapUsed
    for (let i = 0; i < 4; i++) cache.get(randomBytes(32), 10_000)
    gc()
    const perPoolMiB = (process.memoryUsage().heapUsed - before) / 4 / 2 ** 20
    expect(cache.computed).toBe(4)
    expect(perPoolMiB, `${perPoolMiB.toFixed(1)} MiB per pool`).toBeLessThan(4)
  })
})

/**
 * [S6] A peer stopped half-way through a frame must be closed with IDLE_TIMEOUT. The fuzzer found
 * such peers kept for good (29 of about 1,750 slow episodes in a 1,000,000-frame run): the server's
 * own frames to the peer (live mailbox items here; fan-out does the same) count as activity, so a
 * peer whose mailbox keeps receiving never times out, while ws holds its unfinished frame (up to
 * hardFrameBytes, 16 MiB) for as long. In-process with small timers, so it waits seconds, not a minute.
 */
describe('[S6] fuzzer regressions: half a frame, then silence', () => {
  let local: RunningServer
  beforeAll(async () => {
    local = await startSyncServer({ port: 0, host: '127.0.0.1', store: openMemoryStore(), log: captureLogs().log, limits: { idleTimeoutMs: 800, closeGraceMs: 300, handshakeTimeoutMs: 5_000 } })
  })
  afterAll(() => local.close())

  test('[S6] an authenticated peer that stops half-way through a frame is closed with IDLE_TIMEOUT even while live mail keeps arriving for it', async () => {
    const url = `${local.url.replace('http', 'ws')}${SYNC_PATH}`
    const stuckKeys = generateDeviceKeys()
    const stuck = await rawClient(url, stuckKeys)
    await stuck.hello()
    const sender = await rawClient(url)
    await sender.hello()
    // The frame: 82 fe 01 — a binary frame declaring a 16-bit length, and nothing more.
    ;(stuck.socket as unknown as { _socket: Socket })._socket.write(Buffer.from([0x82, 0xfe, 0x01]))
    let n = 0
    const mail = setInterval(() => sender.send({ type: 'mail', id: n++, to: [mailboxOf(stuckKeys)], items: [randomBytes(16)] }), 200)
    const code = await Promise.race([stuck.closed(), new Promise<number>((r) => setTimeout(() => r(-1), 6_000))])
    clearInterval(mail)
    sender.socket.close()
    stuck.socket.terminate()
    expect(code, 'close code (-1: still open after 6 s, 7.5 idle times)').toBe(4000 + (ErrorCode.IDLE_TIMEOUT % 1000))
  })
})
