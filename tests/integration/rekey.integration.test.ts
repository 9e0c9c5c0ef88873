import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  capabilityProofBytes, conversationIdOf, deriveAdminCapability, deriveCapability, generateEpochKey, randomBytes, rekeyProofBytes, type EpochKey,
} from '../../crypto/index.js'
import { ErrorCode } from '../../protocol/index.js'
import { rawClient, type RawClient } from './helpers/rawClient.js'
import { startServerProcess, type ServerProcess } from './helpers/serverProcess.js'

let server: ServerProcess
beforeAll(async () => {
  server = await startServerProcess()
})
afterAll(async () => {
  await server.kill()
})

async function join(c: RawClient, conv: Uint8Array, epoch: number, key: EpochKey, admin?: Uint8Array, origin?: Uint8Array) {
  const cap = deriveCapability(key, conv, epoch)
  c.send({ type: 'join', conv, epoch, cap: cap.publicKey, proof: await cap.signer.sign(capabilityProofBytes(c.challenge, conv, epoch)), ...(admin ? { admin } : {}), ...(origin ? { origin } : {}) })
}

/** A conversation created by `c`'s device ([K6]), registered by its first join with the admin key ([S3]). */
async function create(c: RawClient, key: EpochKey, adminSecret: Uint8Array): Promise<Uint8Array> {
  const origin = randomBytes(16)
  const conv = conversationIdOf(c.keys.signPublic, origin)
  await join(c, conv, 0, key, deriveAdminCapability(adminSecret, conv).publicKey, origin)
  return conv
}

async function rekey(c: RawClient, conv: Uint8Array, epoch: number, key: EpochKey, adminSecret: Uint8Array, signWith = deriveAdminCapability(adminSecret, conv), from = 0) {
  const cap = deriveCapability(key, conv, epoch)
  const admin = deriveAdminCapability(adminSecret, conv).publicKey
  const proof = await signWith.signer.sign(rekeyProofBytes(c.challenge, conv, epoch, cap.publicKey, admin))
  c.send({ type: 'rekey', conv, from, epoch, cap: cap.publicKey, admin, proof })
}

describe('[S10] capability rotation: the server stops serving a removed device', () => {
  test('[S10] after an admin rekey, other connections lose the conversation and the old capability no longer opens it', async () => {
    const oldKey = generateEpochKey()
    const adminSecret = randomBytes(32)
    const admin = await rawClient(server.url)
    const removed = await rawClient(server.url)
    await admin.hello()
    await removed.hello()
    const conv = await create(admin, oldKey, adminSecret)
    await admin.next('joined')
    await join(removed, conv, 0, oldKey)
    await removed.next('joined')
    removed.send({ type: 'subscribe', conv, doc: conv, cursor: 0 })
    await removed.next('caught-up')

    const newKey = generateEpochKey()
    await rekey(admin, conv, 7, newKey, adminSecret)
    expect((await admin.next('joined')).epoch).toBe(7)
    const revoked = await removed.next('error')
    expect(revoked.code).toBe(ErrorCode.CAPABILITY_REVOKED)

    // The removed device still holds the old key: it cannot rejoin, subscribe or push.
    await join(removed, conv, 0, oldKey)
    expect((await removed.next('error')).code).toBe(ErrorCode.CAPABILITY_REJECTED)
    removed.send({ type: 'subscribe', conv, doc: conv, cursor: 0 })
    expect((await removed.next('error')).code).toBe(ErrorCode.NOT_JOINED)

    // A remaining member who received the new key joins with the new capability.
    const member = await rawClient(server.url)
    await member.hello()
    await join(member, conv, 7, newKey)
    expect((await member.next('joined')).epoch).toBe(7)
  })

  test('[S10] a rekey proven with the ordinary capability (a removed member racing the admin) is refused', async () => {
    const key = generateEpochKey()
    const adminSecret = randomBytes(32)
    const admin = await rawClient(server.url)
    const eve = await rawClient(server.url)
    await admin.hello()
    await eve.hello()
    const conv = await create(admin, key, adminSecret)
    await admin.next('joined')
    await join(eve, conv, 0, key)
    await eve.next('joined')
    await rekey(eve, conv, 9, generateEpochKey(), randomBytes(32), deriveCapability(key, conv, 0))
    expect((await eve.next('error')).code).toBe(ErrorCode.CAPABILITY_REJECTED)
    // The admin's own rotation still works afterwards.
    await rekey(admin, conv, 9, generateEpochKey(), adminSecret)
    expect((await admin.next('joined')).epoch).toBe(9)
  })

  test('[S10] rekey is compare-and-swap: a rotation from an epoch the conversation has left is refused (1103, with the current epoch), never a rollback', async () => {
    const adminSecret = randomBytes(32)
    const admin = await rawClient(server.url)
    await admin.hello()
    const conv = await create(admin, generateEpochKey(), adminSecret)
    await admin.next('joined')
    await rekey(admin, conv, 7, generateEpochKey(), adminSecret)
    expect((await admin.next('joined')).epoch).toBe(7)
    // A device catching up (or a concurrent admin) still thinks the conversation is at 0.
    const late = await rawClient(server.url)
    await late.hello()
    await rekey(late, conv, 5, generateEpochKey(), adminSecret)
    const conflict = await late.next('error')
    expect(conflict.code).toBe(ErrorCode.REKEY_CONFLICT)
    expect(conflict.epoch).toBe(7)
    // From the epoch the server is at, it moves on.
    await rekey(late, conv, 5, generateEpochKey(), adminSecret, undefined, 7)
    expect((await late.next('joined')).epoch).toBe(5)
  })

  test('[S3][K6] a member racing the creator cannot register the conversation, with or without an admin key of its own; the creator registers and rotates it', async () => {
    const key = generateEpochKey()
    const adminSecret = randomBytes(32)
    const creator = await rawClient(server.url)
    const eve = await rawClient(server.url)
    await eve.hello()
    const origin = randomBytes(16)
    const conv = conversationIdOf(creator.keys.signPublic, origin)
    // Eve holds the invitation (id and key) before the creator's device has ever connected.
    const eveSecret = randomBytes(32)
    await join(eve, conv, 0, key, deriveAdminCapability(eveSecret, conv).publicKey, origin)
    expect((await eve.next('error')).code).toBe(ErrorCode.NOT_REGISTERED)
    await join(eve, conv, 0, key)
    expect((await eve.next('error')).code).toBe(ErrorCode.NOT_REGISTERED)
    await rekey(eve, conv, 3, generateEpochKey(), eveSecret)
    expect((await eve.next('error')).code).toBe(ErrorCode.CAPABILITY_REJECTED)

    await creator.hello()
    await join(creator, conv, 0, key, deriveAdminCapability(adminSecret, conv).publicKey, origin)
    expect((await creator.next('joined')).epoch).toBe(0)
    await join(eve, conv, 0, key)
    expect((await eve.next('joined')).epoch).toBe(0)
    // Eve's admin secret moves nothing; the creator's does, and cuts Eve off.
    await rekey(eve, conv, 3, generateEpochKey(), eveSecret)
    expect((await eve.next('error')).code).toBe(ErrorCode.CAPABILITY_REJECTED)
    await rekey(creator, conv, 4, generateEpochKey(), adminSecret)
    expect((await creator.next('joined')).epoch).toBe(4)
    expect((await eve.next('error')).code).toBe(ErrorCode.CAPABILITY_REVOKED)
  })
})
