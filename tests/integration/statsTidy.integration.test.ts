import { expect, test } from 'vitest'
import { until } from './helpers/clients.js'
import { useServer } from './helpers/lifecycle.js'
import { enrol } from './helpers/team.js'
import { switchableLink } from './helpers/switchableSocket.js'
import { decodeRecord } from '../../client/core/storage/records.js'
import * as z from 'zod'

/**
 * [Q3] Statistics turned off: every device deletes what it kept of them at its next tick, and a
 * deletion that fails is tried again at the one after (it is not marked done before it went
 * through).
 */
const env = useServer()

test('[Q3] turned off: a member deletes its tallies; a deletion that failed is tried again at the next tick, not forgotten', async () => {
  const admin = await env.persona('AdminTidy')
  const bob = await env.persona('BobTidy')
  for (const p of [admin, bob]) p.messenger.start()
  const org = await enrol(admin, [bob], 'Tidy Ltd')
  await admin.messenger.stats.enable(org)
  await until(() => bob.messenger.stats.status(org).on, 'statistics on at bob')
  await bob.messenger.stats.record(org, { messages: 3 })
  const tallies = async () => (await bob.store.range(['stats-tally', org])).length
  expect(await tallies()).toBe(1)

  // Bob's store refuses the next range deletion (a full disk, a locked database).
  const removeRange = bob.store.removeRange.bind(bob.store)
  let refusals = 1
  bob.store.removeRange = (prefix) => (refusals-- > 0 ? Promise.reject(new Error('disk full')) : removeRange(prefix))
  await admin.messenger.stats.disable(org)
  await until(() => !bob.messenger.stats.status(org).on, 'statistics off at bob')
  await until(() => refusals <= 0, 'bob tried to tidy')
  await bob.messenger.stats.tick()
  await until(async () => (await tallies()) === 0, "bob's tallies deleted at a later tick")
})

test('[Q1] turned off and on again while a member was offline: its tallies of the collection before are deleted, not reported to the new one', async () => {
  const link = switchableLink()
  const admin = await env.persona('AdminAgain')
  const bob = await env.persona('BobAgain', { socket: link.socket })
  for (const p of [admin, bob]) p.messenger.start()
  const org = await enrol(admin, [bob], 'Again Ltd')
  await admin.messenger.stats.enable(org)
  await until(() => bob.messenger.stats.status(org).on, 'statistics on at bob')
  await bob.messenger.stats.tick()
  await bob.messenger.stats.record(org, { messages: 3 })
  const tallies = async () => (await bob.store.range(['stats-tally', org])).length
  expect(await tallies()).toBe(1)

  link.setOnline(false)
  const firstKey = admin.messenger.team.policy(org).stats!.key
  await admin.messenger.stats.disable(org)
  await admin.messenger.stats.enable(org)
  expect(admin.messenger.team.policy(org).stats!.key).not.toEqual(firstKey)
  link.setOnline(true)
  await until(() => bob.messenger.stats.status(org).on && bob.messenger.team.policy(org).stats?.key !== undefined && Buffer.from(bob.messenger.team.policy(org).stats!.key).equals(Buffer.from(admin.messenger.team.policy(org).stats!.key)), 'bob has the new collection')
  await bob.messenger.stats.tick()
  await until(async () => (await tallies()) === 0, "bob's tallies of the collection before deleted")
  // And the new collection's tokens are asked for and answered (a tidy after the request would
  // have deleted them, and the collector answers one blinded token per device and day).
  const today = new Date().toISOString().slice(0, 10)
  const signedToday = async () => {
    const bytes = await bob.store.get(['stats-tok', org, today])
    return !!bytes && !!decodeRecord(bytes, z.object({ s: z.instanceof(Uint8Array) }).loose())
  }
  await until(signedToday, "bob holds the new collection's token for today")
})
