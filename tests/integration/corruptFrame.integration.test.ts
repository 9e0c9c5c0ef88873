import { afterAll, beforeAll, expect, test } from 'vitest'
import { decodeServerFrame } from '../../protocol/index.js'
import { ClientErrorCode } from '../../client/core/errors.js'
import { closePersona, persona, texts, until, type Persona } from './helpers/clients.js'
import { startFrameProxy, type FrameProxy } from './helpers/frameProxy.js'
import { startServerProcess, type ServerProcess } from './helpers/serverProcess.js'
import { conversationWith } from './helpers/team.js'

/**
 * Issue 9, defect 7 ([M33]): bob reads through a faulty hop, a TCP proxy in this test between his
 * device and the real server process. While alice sends 600 messages, the proxy damages exactly
 * one server → bob WebSocket frame carrying live envelopes (bytes reordered inside its payload),
 * or loses it. Before [M33], bob reported a problem, skipped the frame and let later frames move
 * his cursor past it: its messages never came (60 of 600 missing after 180 s).
 */
let server: ServerProcess
let proxy: FrameProxy
const people: Persona[] = []
const MESSAGES = 600
/** The live frame to damage: well inside the run, with frames after it that would carry the cursor on. */
const NTH = 8

beforeAll(async () => {
  server = await startServerProcess()
  proxy = await startFrameProxy(server.port)
})

afterAll(async () => {
  await Promise.all(people.map(closePersona))
  await proxy?.close()
  await server?.kill()
})

/** Reverses `length` bytes of `payload` from `at`: a hop that reordered bytes inside the stream. */
function reorder(payload: Buffer, at: number, length: number): Buffer {
  const out = Buffer.from(payload)
  out.subarray(at, at + length).reverse()
  return out
}

const faults = [
  { name: 'bytes reordered in the frame\'s head (its CBOR no longer reads)', problem: 'unreadable frame', damage: (p: Buffer) => reorder(p, 0, 32) },
  { name: 'bytes reordered inside an envelope (the frame reads, the signature fails)', problem: 'damaged envelope C101_BAD_SIGNATURE', damage: (p: Buffer) => reorder(p, p.length - 600, 64) },
  { name: 'the frame lost', problem: 'sequence gap (1 in a row)', damage: () => undefined },
] as const

test.each(faults)('[M33] one live frame to bob damaged or lost ($name): bob ends with all 600 messages, in order, none twice, and reports it', async (fault) => {
  const alice = await persona(`Alice`, server.url)
  const bob = await persona(`Bob`, proxy.url)
  people.push(alice, bob)
  for (const p of [alice, bob]) p.messenger.start()
  const conv = await conversationWith(alice, [bob], 'Depot')

  let live = 0
  let hit = 0
  proxy.onServerFrame = (payload) => {
    const decoded = decodeServerFrame(new Uint8Array(payload))
    if (!decoded.ok || decoded.message.type !== 'envelopes' || !decoded.message.live || ++live !== NTH) return payload
    hit++
    return fault.damage(payload)
  }
  const started = performance.now()
  const sent: string[] = []
  for (let i = 0; i < MESSAGES; i++) {
    const text = `m${String(i).padStart(3, '0')}`
    await alice.messenger.send(conv, text)
    sent.push(text)
    // Bursts of ten: many live frames, as a conversation in use has.
    if (i % 10 === 9) await until(() => alice.messenger.status.pending === 0, 'alice\'s burst stored')
  }
  await until(() => texts(bob, conv).filter((t) => t.startsWith('m')).length >= MESSAGES, `bob has all ${MESSAGES}`, 90_000)
  const seconds = (performance.now() - started) / 1000
  proxy.onServerFrame = (p) => p

  expect(hit).toBe(1)
  const shown = texts(bob, conv).filter((t) => t.startsWith('m'))
  expect(shown).toEqual(sent) // alice's clock orders her messages as she sent them ([M14])
  expect(new Set(shown).size).toBe(MESSAGES)
  expect(texts(bob, conv)).toEqual(texts(alice, conv))
  expect(bob.problems).toEqual([`${ClientErrorCode.STREAM_DAMAGED} ${fault.problem}`])
  expect(alice.problems).toEqual([])
  console.log(JSON.stringify({ fault: fault.problem, messages: MESSAGES, liveFramesToBob: live, secondsUntilBobHasAll: Number(seconds.toFixed(1)) }))
})
