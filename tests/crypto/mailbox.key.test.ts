import { describe, expect, test } from 'vitest'
import { CryptoMisuse, deriveMailboxKey, generateDeviceKeys, mailboxProofBytes, randomBytes, verifyMailboxProof, type SignSecretKey } from '../../crypto/index.js'
import { persona } from './personas.js'

describe('[K7] mailbox addresses', () => {
  test('[K7] the address is deterministic per device, not its device key, and differs between devices', () => {
    const alice = persona('alice')
    const bob = persona('bob')
    const a = deriveMailboxKey(alice.keys.signSecret).address
    expect(deriveMailboxKey(alice.keys.signSecret).address).toEqual(a)
    expect(a).not.toEqual(alice.keys.signPublic)
    expect(a).not.toEqual(alice.keys.boxPublic)
    expect(deriveMailboxKey(bob.keys.signSecret).address).not.toEqual(a)
  })

  test('[K7] the proof verifies only for its challenge and address; another device cannot make it', async () => {
    const alice = generateDeviceKeys()
    const eve = generateDeviceKeys()
    const mine = deriveMailboxKey(alice.signSecret)
    const challenge = randomBytes(32)
    const proof = await mine.signer.sign(mailboxProofBytes(challenge, mine.address))
    expect(await verifyMailboxProof(proof, challenge, mine.address)).toBe(true)
    expect(await verifyMailboxProof(proof, randomBytes(32), mine.address)).toBe(false)
    const evesProof = await deriveMailboxKey(eve.signSecret).signer.sign(mailboxProofBytes(challenge, mine.address))
    expect(await verifyMailboxProof(evesProof, challenge, mine.address)).toBe(false)
    expect(await verifyMailboxProof(proof, challenge, deriveMailboxKey(eve.signSecret).address)).toBe(false)
  })

  test('[K7][C0] a secret key of the wrong length is misuse', () => {
    expect(() => deriveMailboxKey(new Uint8Array(32) as SignSecretKey)).toThrow(CryptoMisuse)
  })
})
