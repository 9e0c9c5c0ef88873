import { expect, test } from 'vitest'
import type { ConvId } from '../../protocol/index.js'
import type { CallEvents } from '../../client/core/calls/calls.js'
import { until, type Persona } from './helpers/clients.js'
import { tappedLink } from './helpers/tappedSocket.js'
import type { MessengerEvents } from '../../client/core/messengerTypes.js'
import { useServer } from './helpers/lifecycle.js'
import { conversationWith } from './helpers/team.js'
import { cliHome, type CliRun } from './helpers/cli.js'

/**
 * [V1]–[V4] Call signalling between devices through the real server: sealed signals in parts,
 * relayed and stored nowhere ([S44]–[S49]). Personas: Ann calls, Bo and Cy are in the group; Cy
 * is removed mid-call. Media is the browser's (tests/e2e/calls.e2e.test.ts).
 */
const env = useServer()
/** A link id ([V1]). */
const LINK = 'L'.repeat(11)
const online = (...people: Persona[]) => until(() => people.every((p) => p.messenger.status.connection === 'online'), 'online')
const id = (p: Persona) => p.messenger.identity!.deviceId

/** An SDP the size of a browser's for audio and video with candidates (several signals' worth). */
const sdpOf = (who: string) => `v=0\r\no=- ${who} 2 IN IP4 127.0.0.1\r\n` + `a=rtpmap:96 VP8/90000\r\na=candidate:1 1 udp 2122260223 127.0.0.1 5${who.length}211 typ host\r\n`.repeat(60)

test('[V3][V2] a call through the server: it rings, is joined, offers and answers of several parts arrive whole at the device named; a removed member is dropped at once and hears nothing more', async () => {
  const [ann, bo, cy] = await Promise.all(['Ann', 'Bo', 'Cy'].map((n) => env.persona(n)))
  for (const p of [ann!, bo!, cy!]) p.messenger.start()
  const conv: ConvId = await conversationWith(ann!, [bo!, cy!], 'Valve 7')
  await online(ann!, bo!, cy!)
  const sdps: Record<string, CallEvents['sdp'][]> = { ann: [], bo: [], cy: [] }
  for (const [n, p] of [['ann', ann!], ['bo', bo!], ['cy', cy!]] as const) p.messenger.calls.events.on('sdp', (s) => sdps[n]!.push(s))

  const call = await ann!.messenger.calls.start(conv, true)
  await until(() => bo!.messenger.calls.view(conv)?.role === 'ringing' && cy!.messenger.calls.view(conv)?.role === 'ringing', 'it rings for Bo and Cy')
  expect(bo!.messenger.calls.view(conv)).toMatchObject({ id: call.id, video: true, peers: [id(ann!)] })

  await bo!.messenger.calls.join(conv)
  await cy!.messenger.calls.join(conv)
  await until(() => ann!.messenger.calls.view(conv)?.peers.length === 2 && bo!.messenger.calls.view(conv)?.peers.length === 2 && cy!.messenger.calls.view(conv)?.peers.length === 2, 'everyone sees everyone')

  const offer = sdpOf('ann-to-bo')
  expect(offer.length).toBeGreaterThan(4000)
  expect(await ann!.messenger.calls.sendSdp(conv, id(bo!), LINK, 'offer', offer)).toBe(true)
  await until(() => sdps.bo!.length === 1, 'Bo has the offer')
  expect(sdps.bo![0]).toMatchObject({ device: id(ann!), type: 'offer', sdp: offer, call: call.id })
  await bo!.messenger.calls.sendSdp(conv, id(ann!), LINK, 'answer', sdpOf('bo-to-ann'))
  await until(() => sdps.ann!.length === 1, 'Ann has the answer')
  expect(sdps.ann![0]!.sdp).toBe(sdpOf('bo-to-ann'))
  // Only the device named gets it.
  expect(sdps.cy).toEqual([])

  // Cy is removed mid-call: the others drop her at once, and she hears nothing more of the call.
  const left: string[] = []
  ann!.messenger.calls.events.on('peer', (p) => !p.joined && left.push(p.device))
  await ann!.messenger.removeMember(conv, id(cy!))
  await until(() => !ann!.messenger.calls.view(conv)?.peers.includes(id(cy!)), 'Ann dropped Cy')
  expect(left).toEqual([id(cy!)])
  await until(() => !bo!.messenger.calls.view(conv)?.peers.includes(id(cy!)), 'Bo dropped Cy')
  await until(() => bo!.messenger.status.connection === 'online' && ann!.messenger.status.connection === 'online', 'online after the rotation')
  await until(() => ann!.messenger.calls.sendSdp(conv, id(cy!), LINK, 'offer', sdpOf('to-cy')), 'Ann can signal on the new epoch')
  // Signals are never queued: until Bo's device holds the new epoch's key it lets them go, so the offer is sent until it arrives.
  await until(async () => sdps.bo!.length >= 2 || ((await ann!.messenger.calls.sendSdp(conv, id(bo!), LINK, 'offer', sdpOf('again'))), await new Promise((r) => setTimeout(r, 500)), sdps.bo!.length >= 2), 'Bo has the new offer')
  expect(sdps.cy).toEqual([])

  await ann!.messenger.calls.leave(conv)
  await bo!.messenger.calls.leave(conv)
  await until(() => !ann!.messenger.calls.view(conv) && !bo!.messenger.calls.view(conv), 'the call is over')
  expect(ann!.problems).toEqual([])
  expect(bo!.problems).toEqual([])
}, 120_000)

test('[V6][V1] a relay that alters call signalling (an SDP on its way) is caught: the call is refused with a visible reason, nothing of the altered signal is used, the caller is told', async () => {
  const tap = tappedLink()
  const [ann] = await Promise.all(['Ann'].map((n) => env.persona(n)))
  const bo = await env.persona('Bo', { socket: tap.socket })
  for (const p of [ann!, bo]) p.messenger.start()
  const conv: ConvId = await conversationWith(ann!, [bo], 'Depot')
  await online(ann!, bo)
  const sdps: CallEvents['sdp'][] = []
  bo.messenger.calls.events.on('sdp', (s) => sdps.push(s))
  const told: MessengerEvents['calls'][] = []
  bo.messenger.events.on('calls', (e) => told.push(e))

  await ann!.messenger.calls.start(conv, true)
  await until(() => bo.messenger.calls.view(conv)?.role === 'ringing', 'it rings for Bo')
  await bo.messenger.calls.join(conv)
  await until(() => ann!.messenger.calls.view(conv)?.peers.length === 1, 'Ann sees Bo')

  // From now on, what the server relays to Bo for the conversation has one byte changed.
  tap.filter = (m) => {
    if (m.type !== 'relay') return m
    const body = m.body.slice()
    body[body.length - 40]! ^= 0x01
    return { ...m, body }
  }
  await ann!.messenger.calls.sendSdp(conv, id(bo), LINK, 'offer', sdpOf('rewritten'))
  await until(() => !bo.messenger.calls.view(conv), 'Bo refused the call')
  expect(told.find((e) => e.refused)?.refused).toMatch(/failed verification \(C10[0-9]_[A-Z_]+\): something between the devices altered it/)
  expect(sdps).toEqual([])
  expect(bo.problems.some((p) => p.includes('M306_SIGNAL_REJECTED'))).toBe(true)
  // Bo's "leave" reaches Ann (her direction is not altered): the call is over for her too.
  await until(() => !ann!.messenger.calls.view(conv), 'the call is over for Ann')
}, 120_000)

test('[V7] the call history: the caller\'s device writes each call into the conversation; an unanswered call is "missed" for the others, an answered one says how long and who was in it', async () => {
  const [ann, bo] = await Promise.all(['Ann', 'Bo'].map((n) => env.persona(n)))
  for (const p of [ann!, bo!]) p.messenger.start()
  const conv: ConvId = await conversationWith(ann!, [bo!], 'Gate 2')
  await online(ann!, bo!)

  // Nobody answers: Ann hangs up while it rings.
  await ann!.messenger.calls.start(conv, false)
  await until(() => bo!.messenger.calls.view(conv)?.role === 'ringing', 'it rings for Bo')
  await ann!.messenger.calls.leave(conv)
  await until(() => bo!.messenger.callHistory(conv).length === 1, 'Bo has the entry')
  expect(bo!.messenger.callHistory(conv)[0]).toMatchObject({ video: false, dur: 0, missed: true, text: 'Missed voice call from Ann' })
  expect(ann!.messenger.callHistory(conv)[0]).toMatchObject({ missed: true, text: 'Voice call, not answered' })

  // Answered: both read how long, and who was in it.
  await ann!.messenger.calls.start(conv, true)
  await until(() => bo!.messenger.calls.view(conv)?.role === 'ringing', 'it rings again')
  await bo!.messenger.calls.join(conv)
  await until(() => ann!.messenger.calls.view(conv)?.peers.length === 1, 'Ann sees Bo')
  await new Promise((r) => setTimeout(r, 1_200))
  await bo!.messenger.calls.leave(conv)
  await until(() => !ann!.messenger.calls.view(conv), 'over for Ann')
  await until(() => bo!.messenger.callHistory(conv).length === 2, 'Bo has the second entry')
  for (const p of [ann!, bo!]) {
    const last = p.messenger.callHistory(conv)[1]!
    expect(last).toMatchObject({ video: true, missed: false, with: ['Bo'] })
    expect(last.dur).toBeGreaterThanOrEqual(1)
    expect(last.text).toMatch(/^Video call, \d+ s: Ann, Bo$/)
  }
  // An entry is no message: nothing unread, nothing in the message list.
  expect(bo!.messenger.messages(conv)).toEqual([])
  expect(bo!.messenger.unread(conv)).toBe(0)
}, 120_000)

test('[V7] `calls CONV` in the CLI: a call made while the CLI device was away is in the history it shows', async () => {
  const ok = (r: CliRun): CliRun => {
    if (r.code !== 0) throw new Error(`\`${r.args.slice(4).join(' ')}\` exited ${r.code}:\n${r.stdout}${r.stderr}`)
    return r
  }
  const ana = cliHome('ana-calls', () => env.server().url)
  ok(await ana.run('init', '--name', 'Ana'))
  const { conv, link } = ok(await ana.run('--json', 'create', '--title', 'Yard')).json<{ conv: ConvId; link: string }>()
  const pat = await env.persona('Pat')
  pat.messenger.start()
  const joining = pat.messenger.join(link)
  await new Promise((r) => setTimeout(r, 1000))
  ok(await ana.run('--json', 'sync'))
  await joining
  await until(() => pat.messenger.conversations().some((c) => c.conv === conv && c.members === 2), 'Pat is in')
  await pat.messenger.openConversation(conv)
  await online(pat)
  // Pat calls; Ana's CLI is not running: nobody answers.
  await pat.messenger.calls.start(conv, true)
  await new Promise((r) => setTimeout(r, 300))
  await pat.messenger.calls.leave(conv)
  await until(() => pat.messenger.callHistory(conv).length === 1, 'Pat wrote the entry')
  await until(() => pat.messenger.status.pending === 0, 'the entry is on the server')
  const shown = ok(await ana.run('--json', 'calls', conv)).json<{ calls: { video: boolean; seconds: number; missed: boolean; text: string }[] }>()
  expect(shown.calls).toEqual([expect.objectContaining({ video: true, seconds: 0, missed: true, text: 'Missed video call from Pat' })])
  expect(ok(await ana.run('calls', conv)).stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z Missed video call from Pat\n?$/)
  const bad = await ana.run('--json', 'calls', 'not-a-conv')
  expect(bad.code).not.toBe(0)
}, 120_000)
