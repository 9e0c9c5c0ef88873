import { describe, expect, test } from 'vitest'
import { createHash } from 'node:crypto'
import { CryptoMisuse, decoyPool, decoyPoolSize, deriveMailboxKey, generateDeviceKeys, mailDest, mailboxProofBytes, randomBytes, verifyMailboxProof, type SignSecretKey } from '../../crypto/index.js'
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

describe('[K8] mail destinations and decoy pools', () => {
  /** The [C2] frame built by hand: u32be length ‖ bytes, for the domain and every part. */
  const framed = (domain: string, ...parts: Uint8Array[]) =>
    Buffer.concat([Buffer.from(domain), ...parts].flatMap((p) => {
      const len = Buffer.alloc(4)
      len.writeUInt32BE(p.length)
      return [len, Buffer.from(p)]
    }))
  const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest())

  test('[K8] a destination is SHA-256 of the framed address under its own domain, computed independently here', () => {
    const address = new Uint8Array(32).fill(7)
    expect(mailDest(address)).toEqual(sha256(framed('fieldchat/v1/mail/dest', address)))
    expect(mailDest(address)).not.toEqual(address)
    expect(() => mailDest(new Uint8Array(31))).toThrow(CryptoMisuse)
  })

  test('[K8] pool entry i is H(decoy domain, key, u32be(i)); pools of one key share their prefix; other keys and the dest domain differ', () => {
    const key = new Uint8Array(32).fill(9)
    const pool = decoyPool(key, 40)
    expect(pool).toHaveLength(40)
    expect(pool[3]).toEqual(sha256(framed('fieldchat/v1/mail/decoy', key, Uint8Array.of(0, 0, 0, 3))))
    expect(decoyPool(key, 32)).toEqual(pool.slice(0, 32))
    expect(new Set(pool.map((d) => Buffer.from(d).toString('hex'))).size).toBe(40)
    expect(decoyPool(new Uint8Array(32).fill(10), 1)[0]).not.toEqual(pool[0])
    expect(pool.map((d) => Buffer.from(d).toString('hex'))).not.toContain(Buffer.from(mailDest(key)).toString('hex'))
  })

  test('[K8][C0] pool sizes: 32 at least, twice the fanout, 20,000 at most; bad keys and sizes are misuse', () => {
    expect([1, 8, 16, 17, 1024, 10_000].map(decoyPoolSize)).toEqual([32, 32, 32, 34, 2048, 20_000])
    expect(() => decoyPool(new Uint8Array(16), 4)).toThrow(CryptoMisuse)
    expect(() => decoyPool(new Uint8Array(32), 20_001)).toThrow(CryptoMisuse)
    expect(() => decoyPool(new Uint8Array(32), 1.5)).toThrow(CryptoMisuse)
  })
})
