import { describe, expect, test } from 'vitest'
import { deriveAdminCapability, deriveCapability, generateEpochKey, randomBytes, verifyRekeyProof } from '../../crypto/index.js'
import { ErrorCode, idBytes, type ClientMessage, type ConvId } from '../../protocol/index.js'
import { newConvId } from '../../client/core/ids.js'
import { ProxyRekeys, type ProxyOutcome } from '../../client/core/sync/proxyRekey.js'

function setup() {
  const sent: ClientMessage[] = []
  const settled: [ConvId, ProxyOutcome, number | undefined][] = []
  const proxies = new ProxyRekeys((m) => sent.push(m), (conv, outcome, epoch) => settled.push([conv, outcome, epoch]))
  const conv = newConvId()
  const sign = randomBytes(32)
  const next = randomBytes(32)
  const cap = deriveCapability(generateEpochKey(), idBytes(conv), 9).publicKey
  return { sent, settled, proxies, conv, sign, next, cap, rekey: { conv, from: 4, epoch: 9, cap, sign, next } }
}

describe('[T18] proxy rekeys', () => {
  test('[T18][K4] a proxy rekey is signed with the admin key the server holds and installs the next one; it waits for a connection', async () => {
    const { sent, proxies, conv, sign, next, cap, rekey } = setup()
    await proxies.add(rekey, undefined)
    expect(sent).toEqual([])
    const challenge = randomBytes(32)
    await proxies.sendAll(challenge)
    const [msg] = sent
    if (msg?.type !== 'rekey') throw new Error('expected a rekey')
    const id = idBytes(conv)
    expect(msg).toMatchObject({ from: 4, epoch: 9, cap, admin: deriveAdminCapability(next, id).publicKey })
    expect(await verifyRekeyProof(msg.proof, challenge, id, 9, cap, msg.admin, deriveAdminCapability(sign, id).publicKey)).toBe(true)
  })

  test('[T18] the server\'s answers: joined at the new epoch settles it; 1103 is a conflict with the server\'s epoch; 1101 a refusal; anything else is not its business', async () => {
    const { settled, proxies, conv, rekey } = setup()
    expect(proxies.answer(conv, { joined: 9 })).toBe(false) // nothing pending yet
    await proxies.add(rekey, undefined)
    expect(proxies.answer(conv, { code: ErrorCode.CAPABILITY_REVOKED })).toBe(false)
    expect(proxies.answer(conv, { joined: 3 })).toBe(true) // another epoch: still pending
    expect(proxies.has(conv)).toBe(true)
    expect(proxies.answer(conv, { joined: 9 })).toBe(true)
    expect(proxies.has(conv)).toBe(false)
    await proxies.add(rekey, undefined)
    proxies.answer(conv, { code: ErrorCode.REKEY_CONFLICT, epoch: 2 })
    await proxies.add(rekey, undefined)
    proxies.answer(conv, { code: ErrorCode.CAPABILITY_REJECTED })
    expect(settled).toEqual([[conv, 'done', undefined], [conv, 'conflict', 2], [conv, 'refused', undefined]])
  })
})
