import { afterAll, beforeAll, expect, test } from 'vitest'
import { nodeSocket } from '../../client/node/socket.js'
import type { SocketFactory } from '../../client/core/sync/transport.js'
import type { ConvId } from '../../protocol/index.js'
import { describePostgres, pgSchema } from '../helpers/postgres.js'
import type { PgSchema } from './helpers/pgSchema.js'
import { keysServerAccepts } from './helpers/capability.js'
import { closePersona, persona, texts, until, type Persona } from './helpers/clients.js'
import { startServerProcess, type ServerProcess } from './helpers/serverProcess.js'
import { conversationWith } from './helpers/team.js'

/**
 * [S20][S21] Two real server processes on one PostgreSQL schema, devices on each. A device takes
 * one URL; where it really connects is its socket factory's choice — here a "load balancer" the
 * test points at an instance (as a balancer's health check would once an instance is gone), so
 * the same device, with its store and cursors, reconnects to the other instance by itself.
 */
describePostgres('two instances on one PostgreSQL store', () => {
  let schema: PgSchema
  let one: ServerProcess
  let two: ServerProcess
  const people: Persona[] = []
  beforeAll(async () => {
    schema = await pgSchema('two')
    ;[one, two] = await Promise.all([startServerProcess({ databaseUrl: schema.url }), startServerProcess({ databaseUrl: schema.url })])
  })
  afterAll(async () => {
    await Promise.all(people.map(closePersona))
    await Promise.all([one?.kill(), two?.kill()])
    await schema?.drop()
  })

  /** A device behind a balancer that sends it to `at()`'s instance. */
  const device = async (name: string, at: () => ServerProcess) => {
    const balanced: SocketFactory = () => nodeSocket(at().url)
    const p = await persona(name, at().url, { socket: balanced })
    people.push(p)
    p.messenger.start()
    return p
  }

  test('[S20][S21] messages, a removal\'s rotation and its bundles cross between instances; the removed device is refused on both; one instance killed, its devices move to the other and lose nothing', async () => {
    let carolAt = () => two
    const admin = await device('Admin', () => one)
    const bob = await device('Bob', () => two)
    const carol = await device('Carol', () => carolAt())
    // Invitations and answers are mail: they cross too.
    const conv = await conversationWith(admin, [bob, carol], 'Across')
    await admin.messenger.send(conv, 'from instance one')
    await bob.messenger.send(conv, 'from instance two')
    await until(() => [admin, bob, carol].every((p) => texts(p, conv).includes('from instance one') && texts(p, conv).includes('from instance two')), 'both ways')

    // Both instances append to the same document at once: every device gets every message.
    await Promise.all([burst(admin, conv, 'a', 20), burst(carol, conv, 'c', 20)])
    await until(() => [admin, bob, carol].every((p) => texts(p, conv).length === 42), 'concurrent bursts everywhere')
    expect(texts(bob, conv)).toEqual(texts(admin, conv))
    expect(texts(carol, conv)).toEqual(texts(admin, conv))

    // The admin on instance one removes Bob, on instance two: the rekey's revocation and the
    // bundle for Carol (mail) have to cross.
    const bobKeys = bob.messenger.epochKeys(conv).map((k) => ({ ...k }))
    await admin.messenger.removeMember(conv, bob.messenger.identity!.deviceId)
    await until(() => bob.messenger.accessLost(conv), 'bob, on the other instance, is cut off')
    const after = admin.messenger.team.core.spaces.state(conv)?.current?.epoch
    expect(bobKeys.map((k) => k.epoch)).not.toContain(after)
    await until(() => carol.messenger.epochKeys(conv).some((k) => k.epoch === after), 'carol got the new key in a bundle')
    // Each instance checks joins against the store: Bob's keys are refused on both, Carol's new one accepted on both.
    for (const instance of [one, two]) expect(await keysServerAccepts(instance.url, conv, bobKeys)).toEqual([])
    for (const instance of [one, two]) expect(await keysServerAccepts(instance.url, conv, carol.messenger.epochKeys(conv).filter((k) => k.epoch === after))).toEqual([after])
    await admin.messenger.send(conv, 'after bob left')
    await carol.messenger.send(conv, 'carol still here')
    await until(() => texts(carol, conv).includes('after bob left') && texts(admin, conv).includes('carol still here'), 'admin and carol keep talking')
    expect(texts(bob, conv)).not.toContain('after bob left')

    // Instance two dies mid-stream; its device is sent to instance one and loses nothing.
    const writing = burst(carol, conv, 'during', 30)
    const ackedDuring = () => carol.messenger.messages(conv).filter((m) => m.text?.startsWith('during') && !m.pending).length
    await until(() => ackedDuring() >= 5, 'part of a stream acknowledged by instance two')
    await two.kill('SIGKILL')
    carolAt = () => one
    await admin.messenger.send(conv, 'while two is down')
    await writing
    await until(() => carol.messenger.status.pending === 0, 'carol\'s outbox drained through instance one')
    await until(() => texts(admin, conv).filter((t) => t.startsWith('during')).length === 30 && texts(carol, conv).includes('while two is down'), 'carol and admin converge')
    expect(texts(carol, conv)).toEqual(texts(admin, conv))
    expect(carol.problems.filter((p) => !/offline|closed|connect/i.test(p))).toEqual([])
  })
})

/** `n` messages sent one after the other, one task each (as UI events would be). */
async function burst(p: Persona, conv: ConvId, tag: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await p.messenger.send(conv, `${tag} ${i}`)
    await new Promise((r) => setImmediate(r))
  }
}
