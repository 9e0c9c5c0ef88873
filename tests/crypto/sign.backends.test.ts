import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import {
  CryptoMisuse, generateDeviceKeys, utf8, type SignSecretKey,
  asSignSecretKey, capabilityProofBytes, concat, createSigner, deviceAuthBytes, frame, isCanonicalS, parseSignPublicKey,
  restoreDeviceKeys, signKeyPairFromSeed, signKeyPairFromSeedAsync, deriveMailboxKey, deriveMailboxKeyAsync, signatureBackend, ZERO_SEED_PUBLIC, signedBytes, useSignatureBackend, verifyCapabilityProof, verifyDeviceAuth, verifySignature,
} from '../../crypto/index.js'
import { BACKENDS, hex, persona, text } from './personas.js'
import { NON_CANONICAL_KEYS, SMALL_ORDER_KEYS } from './vectors.js'

/** RFC 8032 §7.1, TEST 1 (empty message). */
const RFC8032_1 = {
  seed: hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'),
  pub: hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'),
  sig: hex('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'),
}

/** L = 2^252 + 27742317777372353535851937790883648493 */
const L = 2n ** 252n + 27742317777372353535851937790883648493n

function leToBig(bytes: Uint8Array): bigint {
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!)
  return n
}
function bigToLe(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++, n >>= 8n) out[i] = Number(n & 0xffn)
  return out
}
/** The same signature with S replaced by S + L: valid for a verifier that skips the S < L check. */
function malleate(sig: Uint8Array): Uint8Array {
  return concat(sig.subarray(0, 32), bigToLe(leToBig(sig.subarray(32)) + L, 32))
}

describe.each(BACKENDS)('Ed25519 verification rule (%s backend)', (backend) => {
  beforeEach(() => useSignatureBackend(backend))
  afterEach(() => useSignatureBackend('auto'))

  test('[C3] runs on the intended backend', async () => {
    expect(await signatureBackend()).toBe(backend === 'tweetnacl' ? 'tweetnacl' : 'webcrypto')
  })

  test('[C3] RFC 8032 test 1: signs identically and verifies', async () => {
    const signer = createSigner(asSignSecretKey(concat(RFC8032_1.seed, RFC8032_1.pub)))
    expect(signer.publicKey).toEqual(RFC8032_1.pub)
    expect(await signer.sign(new Uint8Array(0))).toEqual(RFC8032_1.sig)
    expect(await verifySignature(new Uint8Array(0), RFC8032_1.sig, RFC8032_1.pub)).toBe(true)
    expect(await verifySignature(new Uint8Array([0]), RFC8032_1.sig, RFC8032_1.pub)).toBe(false)
  })

  test('[C3] a key checked once (not cached) follows the same rule: RFC 8032 test 1 verifies, a changed message, S + L and a small-order key do not', async () => {
    expect(await verifySignature(new Uint8Array(0), RFC8032_1.sig, RFC8032_1.pub, true)).toBe(true)
    expect(await verifySignature(new Uint8Array([0]), RFC8032_1.sig, RFC8032_1.pub, true)).toBe(false)
    expect(await verifySignature(new Uint8Array(0), malleate(RFC8032_1.sig), RFC8032_1.pub, true)).toBe(false)
    expect(await verifySignature(new Uint8Array(0), RFC8032_1.sig, SMALL_ORDER_KEYS[0]!, true)).toBe(false)
  })

  test('[C3] restoreDeviceKeys rebuilds the RFC 8032 key pair from its stored secret', async () => {
    const keys = await restoreDeviceKeys(concat(RFC8032_1.seed, RFC8032_1.pub), new Uint8Array(32).fill(1))
    expect(keys?.signPublic).toEqual(RFC8032_1.pub)
    expect(await restoreDeviceKeys(concat(RFC8032_1.seed, new Uint8Array(32)), new Uint8Array(32))).toBeUndefined()
  })

  test('[C1a] restoreDeviceKeys derives the box public key of RFC 7748 §6.1 (Alice), and random secrets give tweetnacl\'s bytes', async () => {
    const keys = await restoreDeviceKeys(concat(RFC8032_1.seed, RFC8032_1.pub), hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'))
    expect(keys?.boxPublic).toEqual(hex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a'))
    for (let i = 0; i < 8; i++) {
      const fresh = generateDeviceKeys()
      expect((await restoreDeviceKeys(fresh.signSecret, fresh.boxSecret))?.boxPublic).toEqual(fresh.boxPublic)
    }
  })

  test('[C3] signKeyPairFromSeedAsync and deriveMailboxKeyAsync give the synchronous functions\' bytes', async () => {
    expect((await signKeyPairFromSeedAsync(RFC8032_1.seed)).publicKey).toEqual(RFC8032_1.pub)
    expect((await signKeyPairFromSeedAsync(RFC8032_1.seed)).secretKey).toEqual(signKeyPairFromSeed(RFC8032_1.seed).secretKey)
    await expect(signKeyPairFromSeedAsync(new Uint8Array(31))).rejects.toBeInstanceOf(CryptoMisuse)
    const a = generateDeviceKeys()
    const b = generateDeviceKeys()
    const asyncAddress = (await deriveMailboxKeyAsync(a.signSecret)).address
    expect(asyncAddress).toEqual(deriveMailboxKey(asSignSecretKey(a.signSecret.slice())).address)
    expect(deriveMailboxKey(b.signSecret).address).toEqual((await deriveMailboxKeyAsync(asSignSecretKey(b.signSecret.slice()))).address)
  })

  test('[C3] a non-canonical S (S + L) is refused', async () => {
    const forged = malleate(RFC8032_1.sig)
    expect(isCanonicalS(forged)).toBe(false)
    expect(await verifySignature(new Uint8Array(0), forged, RFC8032_1.pub)).toBe(false)
  })

  test('[C3] S = L exactly and S = 2^256 - 1 are refused', async () => {
    const sEqualsL = concat(RFC8032_1.sig.subarray(0, 32), bigToLe(L, 32))
    const sMax = concat(RFC8032_1.sig.subarray(0, 32), new Uint8Array(32).fill(0xff))
    expect(await verifySignature(new Uint8Array(0), sEqualsL, RFC8032_1.pub)).toBe(false)
    expect(await verifySignature(new Uint8Array(0), sMax, RFC8032_1.pub)).toBe(false)
    expect(isCanonicalS(concat(new Uint8Array(32), bigToLe(L - 1n, 32)))).toBe(true)
  })

  test('[C1] [C3] small-order public keys are refused even with the signature that verifies for every message', async () => {
    // With A of small order, R = A and S = 0 satisfies the cofactorless equation [S]B = R + [k]A
    // for every message whose k is 1 mod the order of A (identity: every message).
    const identity = SMALL_ORDER_KEYS[0]!
    const universal = concat(identity, new Uint8Array(32))
    for (const key of SMALL_ORDER_KEYS) {
      expect(parseSignPublicKey(key)).toBeUndefined()
      expect(await verifySignature(text('anything'), concat(key, new Uint8Array(32)), key)).toBe(false)
    }
    expect(await verifySignature(text('pay eve'), universal, identity)).toBe(false)
  })

  test('[C1] [C3] non-canonical public key encodings (y ≥ p) are refused', async () => {
    for (const key of NON_CANONICAL_KEYS) {
      expect(parseSignPublicKey(key)).toBeUndefined()
      expect(await verifySignature(new Uint8Array(0), RFC8032_1.sig, key)).toBe(false)
    }
  })

  test('[C3] wrong lengths and a public key that is not a curve point return false, never throw', async () => {
    const msg = text('m')
    expect(await verifySignature(msg, RFC8032_1.sig.subarray(0, 63), RFC8032_1.pub)).toBe(false)
    expect(await verifySignature(msg, RFC8032_1.sig, RFC8032_1.pub.subarray(0, 31))).toBe(false)
    // y = 2 is not the y-coordinate of any point on edwards25519.
    const notOnCurve = new Uint8Array(32)
    notOnCurve[0] = 2
    expect(await verifySignature(msg, RFC8032_1.sig, notOnCurve)).toBe(false)
  })

  test('[C3] alice\'s signature verifies under her key and not under bob\'s', async () => {
    const alice = persona('alice')
    const bob = persona('bob')
    const msg = text('hello')
    const sig = await alice.signer.sign(msg)
    expect(await verifySignature(msg, sig, alice.keys.signPublic)).toBe(true)
    expect(await verifySignature(msg, sig, bob.keys.signPublic)).toBe(false)
  })

  test('[C4] a signature made under one domain never verifies under another', async () => {
    const alice = persona('alice')
    const challenge = new Uint8Array(32).fill(3)
    const conv = new Uint8Array(16).fill(4)
    const auth = await alice.signer.sign(deviceAuthBytes(challenge, alice.keys.signPublic))
    expect(await verifyDeviceAuth(auth, challenge, alice.keys.signPublic)).toBe(true)
    expect(await verifyCapabilityProof(auth, challenge, conv, 0, alice.keys.signPublic)).toBe(false)
    // The same parts framed under the envelope domain are different bytes, so different signatures.
    expect(signedBytes(challenge, conv, new Uint8Array(0))).not.toEqual(capabilityProofBytes(challenge, conv, 0))
    expect(frame('fieldchat/v1/auth/device', [challenge, alice.keys.signPublic])).toEqual(deviceAuthBytes(challenge, alice.keys.signPublic))
  })
})

describe('[C3] a signer over a secret key whose public half is not its seed\'s', () => {
  test('[C3] refuses to sign (CryptoMisuse): tweetnacl would sign under the wrong half, WebCrypto under the right one, and both together give the seed away', async () => {
    const alice = generateDeviceKeys()
    const mallory = generateDeviceKeys()
    const mixed = new Uint8Array([...alice.signSecret.subarray(0, 32), ...mallory.signPublic]) as SignSecretKey
    await expect(createSigner(mixed).sign(utf8.encode('pay mallory'))).rejects.toThrow(CryptoMisuse)
    // The honest key still signs, and its signature verifies.
    const signature = await createSigner(alice.signSecret).sign(utf8.encode('pay bob'))
    expect(await verifySignature(utf8.encode('pay bob'), signature, alice.signPublic)).toBe(true)
  })
})

describe('[C3] key pairs made from a seed, and the check done once per secret key', () => {
  test('[C3] signKeyPairFromSeed gives RFC 8032 §7.1 test 1\'s public key, and its signer signs at once', async () => {
    const pair = signKeyPairFromSeed(hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'))
    expect(pair.publicKey).toEqual(hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'))
    const signature = await createSigner(pair.secretKey).sign(new Uint8Array(0))
    expect(signature).toEqual(hex('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'))
  })
  test('[C3] the WebCrypto probe\'s key is the all-zero seed\'s public key', () => {
    expect(signKeyPairFromSeed(new Uint8Array(32)).publicKey).toEqual(ZERO_SEED_PUBLIC)
  })
  test('[C3] a seed of any other length is misuse', () => {
    expect(() => signKeyPairFromSeed(new Uint8Array(31))).toThrow(CryptoMisuse)
    expect(() => signKeyPairFromSeed(new Uint8Array(64))).toThrow(CryptoMisuse)
  })
  test('[C3] a copy of a checked key with another public half is checked again and refused', async () => {
    const alice = generateDeviceKeys()
    const mallory = generateDeviceKeys()
    await createSigner(alice.signSecret).sign(utf8.encode('checked once'))
    const mixed = alice.signSecret.slice() as SignSecretKey
    mixed.set(mallory.signPublic, 32)
    await expect(createSigner(mixed).sign(utf8.encode('pay mallory'))).rejects.toThrow(CryptoMisuse)
    const derived = signKeyPairFromSeed(alice.signSecret.subarray(0, 32))
    const tampered = derived.secretKey.slice() as SignSecretKey
    tampered.set(mallory.signPublic, 32)
    await expect(createSigner(tampered).sign(utf8.encode('pay mallory'))).rejects.toThrow(CryptoMisuse)
  })
})
