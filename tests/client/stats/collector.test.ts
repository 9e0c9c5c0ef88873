import { describe, expect, test } from 'vitest'
import { generateDeviceKeys, toHex } from '../../../crypto/index.js'
import { blindStatsToken, unblindStatsToken } from '../../../crypto/statsToken.js'
import { createMemoryStore } from '../../../client/core/storage/memory.js'
import { Collector } from '../../../client/core/stats/collector.js'
import { CLIPS, ZERO_COUNTS } from '../../../client/core/stats/counts.js'
import { addDays, dayOf } from '../../../client/core/stats/days.js'
import { CLOSE_AFTER_DAYS } from '../../../client/core/stats/release.js'
import { openStatsMail, sealReport, sealTokenRequest } from '../../../client/core/stats/wire.js'

/**
 * [Q3][Q5] The collector against what a hostile member can send: a report replayed, a token
 * forged or spent on another day, counts inflated, a day closed, a second token asked for the
 * same day, a request from a device that is not (or no longer) a member; and what a member who
 * is not the collector can open.
 */
const ORG = 'o'.repeat(22)
const now = Date.parse('2026-12-06T10:00:00Z')
const today = dayOf(now)

function setup(members: Set<string>) {
  const store = createMemoryStore()
  const collectorKeys = generateDeviceKeys()
  const sent: { mailbox: Uint8Array; body: Uint8Array }[] = []
  const boxes = new Map<string, Uint8Array>()
  const collector = new Collector({
    store,
    keys: collectorKeys,
    now: () => now,
    liveDevice: (_org, device) => (members.has(device) ? { box: boxes.get(device)!, mailbox: new Uint8Array(32).fill(1) } : undefined),
    // [Q9] 'g5' has five people, these members among them; 'g4' has four.
    inGroup: (_org, group, device) => group === 'g5' && members.has(device),
    send: async (_org, mailbox, body) => void sent.push({ mailbox, body }),
  })
  return { store, collector, collectorKeys, sent, boxes }
}

/** A member device that asks for a token of `day` and gets it answered; returns the unblinded token. */
async function tokenFor(env: ReturnType<typeof setup>, day: string, pk: Uint8Array) {
  const device = generateDeviceKeys()
  env.boxes.set(toHex(device.signPublic), device.boxPublic)
  const blinded = blindStatsToken(ORG, day)
  const req = await openStatsMail(await sealTokenRequest({ org: ORG, days: [{ day, blinded: blinded.blinded }], version: '1', platform: 'test', today }, env.collectorKeys.boxPublic, device), env.collectorKeys, [ORG])
  return { device, blinded, req: req && 'request' in req ? req.request : undefined }
}

describe('[Q5] the collector counts each token once', () => {
  test('a report counts once; replayed it is a duplicate; a forged or altered token, another day, a closed day are refused; counts above their clip count as the clip', async () => {
    const members = new Set<string>()
    const env = setup(members)
    const pk = await env.collector.publicKey(ORG)
    const { device, blinded, req } = await tokenFor(env, today, pk)
    members.add(toHex(device.signPublic))
    await env.collector.onRequest(req!)
    expect(env.sent).toHaveLength(1)
    const answer = await openStatsMail(env.sent[0]!.body, device, [ORG])
    expect(answer && 'answer' in answer && answer.answer.signedBy).toBe(toHex(env.collectorKeys.signPublic))
    const token = unblindStatsToken(pk, ORG, blinded, (answer as unknown as { answer: { days: { signed: Uint8Array }[] } }).answer.days[0]!.signed)
    expect(token.ok).toBe(true)
    const t = (token as { value: { nonce: Uint8Array; signature: Uint8Array } }).value

    const inflated = { ...ZERO_COUNTS, active: 1, messages: 10_000, callMinutes: 99_999 }
    const report = { org: ORG, day: today, nonce: t.nonce, signature: t.signature, counts: inflated }
    expect(await env.collector.onReport(report)).toBe('counted')
    expect(await env.collector.onReport(report)).toBe('duplicate')
    expect((await env.collector.totals(ORG, today))!).toEqual({ sum: { ...ZERO_COUNTS, active: 1, messages: CLIPS.messages, callMinutes: CLIPS.callMinutes }, reports: 1 })

    const forged = t.signature.slice()
    forged[5]! ^= 1
    expect(await env.collector.onReport({ ...report, signature: forged })).toBe('forged')
    expect(await env.collector.onReport({ ...report, nonce: new Uint8Array(32).fill(2) })).toBe('forged')
    expect(await env.collector.onReport({ ...report, day: addDays(today, -1) })).toBe('forged')
    expect(await env.collector.onReport({ ...report, day: addDays(today, -CLOSE_AFTER_DAYS - 1) })).toBe('closed')
    expect(await env.collector.onReport({ ...report, day: addDays(today, 1) })).toBe('closed')
    expect((await env.collector.totals(ORG, today))!.reports).toBe(1)
  })

  test('one token per device and day: asking again gets nothing; a non-member and a day outside the open window get nothing', async () => {
    const members = new Set<string>()
    const env = setup(members)
    const pk = await env.collector.publicKey(ORG)
    const first = await tokenFor(env, today, pk)
    members.add(toHex(first.device.signPublic))
    await env.collector.onRequest(first.req!)
    await env.collector.onRequest({ ...first.req!, days: [{ day: today, blinded: blindStatsToken(ORG, today).blinded }] })
    expect(env.sent).toHaveLength(1)
    // The same blinded token asked again (its answer lost): answered again, with the same signature.
    await env.collector.onRequest(first.req!)
    expect(env.sent).toHaveLength(2)
    const sig = async (i: number) => ((await openStatsMail(env.sent[i]!.body, first.device, [ORG])) as unknown as { answer: { days: { signed: Uint8Array }[] } }).answer.days[0]!.signed
    expect(toHex(await sig(1))).toBe(toHex(await sig(0)))
    env.sent.splice(1)
    const stranger = await tokenFor(env, today, pk)
    await env.collector.onRequest(stranger.req!)
    expect(env.sent).toHaveLength(1)
    await env.collector.onRequest({ ...first.req!, days: [{ day: addDays(today, -CLOSE_AFTER_DAYS - 1), blinded: blindStatsToken(ORG, addDays(today, -CLOSE_AFTER_DAYS - 1)).blinded }, { day: addDays(today, 1), blinded: blindStatsToken(ORG, addDays(today, 1)).blinded }] })
    expect(env.sent).toHaveLength(1)
    // Its version and platform are kept for device management.
    expect(await env.collector.devices(ORG)).toEqual([{ device: toHex(first.device.signPublic), lastDay: today, version: '1', platform: 'test' }])
  })

  test('[Q3] a request asked under another key (a collection before this one, read late) is not answered and spends nothing: the same device asking under this key gets its token', async () => {
    const members = new Set<string>()
    const env = setup(members)
    const pk = await env.collector.publicKey(ORG)
    const first = await tokenFor(env, today, pk)
    members.add(toHex(first.device.signPublic))
    await env.collector.onRequest({ ...first.req!, key: new Uint8Array(pk.length).fill(7) })
    expect(env.sent).toHaveLength(0)
    // The key travels inside the sealed request.
    const sealed = await sealTokenRequest({ org: ORG, days: [{ day: today, blinded: blindStatsToken(ORG, today).blinded }], version: '1', platform: 'test', today, key: pk }, env.collectorKeys.boxPublic, first.device)
    const opened = await openStatsMail(sealed, env.collectorKeys, [ORG])
    expect(opened && 'request' in opened && toHex(opened.request.key!)).toBe(toHex(pk))
    await env.collector.onRequest((opened as { request: Parameters<typeof env.collector.onRequest>[0] }).request)
    expect(env.sent).toHaveLength(1)
  })

  test('a report opens for the collector only: another member\'s device, another organisation, garbage open to nothing', async () => {
    const collector = generateDeviceKeys()
    const body = sealReport({ org: ORG, day: today, nonce: new Uint8Array(32), signature: new Uint8Array(48), counts: ZERO_COUNTS }, collector.boxPublic)
    expect(await openStatsMail(body, collector, [ORG])).toMatchObject({ report: { org: ORG, day: today } })
    expect(await openStatsMail(body, generateDeviceKeys(), [ORG])).toBeUndefined()
    expect(await openStatsMail(body, collector, ['p'.repeat(22)])).toBeUndefined()
    for (const junk of [new Uint8Array(0), new Uint8Array(200), new Uint8Array(5000).fill(7)]) expect(await openStatsMail(junk, collector, [ORG])).toBeUndefined()
  })

  test('[Q9] group tokens only for a group of at least 5 people the device is in; a group report counts once, under its own group and day; an organisation token is no group token', async () => {
    const members = new Set<string>()
    const env = setup(members)
    const pk = await env.collector.publicKey(ORG)
    const device = generateDeviceKeys()
    members.add(toHex(device.signPublic))
    env.boxes.set(toHex(device.signPublic), device.boxPublic)
    const g5 = blindStatsToken(`${ORG}/g5`, today)
    const g4 = blindStatsToken(`${ORG}/g4`, today)
    const req = await openStatsMail(await sealTokenRequest({ org: ORG, days: [{ day: today, blinded: g5.blinded, group: 'g5' }, { day: today, blinded: g4.blinded, group: 'g4' }], version: '1', platform: 't', today }, env.collectorKeys.boxPublic, device), env.collectorKeys, [ORG])
    await env.collector.onRequest((req as { request: Parameters<Collector['onRequest']>[0] }).request)
    const answer = (await openStatsMail(env.sent[0]!.body, device, [ORG])) as unknown as { answer: { days: { day: string; signed: Uint8Array; group?: string }[] } }
    expect(answer.answer.days.map((d) => d.group)).toEqual(['g5'])
    const token = unblindStatsToken(pk, `${ORG}/g5`, g5, answer.answer.days[0]!.signed)
    const t = (token as { value: { nonce: Uint8Array; signature: Uint8Array } }).value
    const rep = { org: ORG, group: 'g5', day: today, nonce: t.nonce, signature: t.signature, counts: { active: 3, messages: 500 } }
    expect(await env.collector.onGroupReport(rep)).toBe('counted')
    expect(await env.collector.onGroupReport(rep)).toBe('duplicate')
    expect(await env.collector.onGroupReport({ ...rep, group: 'g4' })).toBe('forged')
    // The group's token is not the organisation's.
    expect(await env.collector.onReport({ org: ORG, day: today, nonce: t.nonce, signature: t.signature, counts: ZERO_COUNTS })).toBe('forged')
    expect(await env.collector.groupTotals(ORG, 'g5', today)).toEqual({ active: 1, messages: CLIPS.messages })
  })
})
