import fc from 'fast-check'
import nacl from 'tweetnacl'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import {
  CryptoErrorCode, CryptoMisuse, concat, domainHash, frame, generateEpochKey, openLockbox, sealLockbox, toHex, useSignatureBackend,
  type BoxPublicKey, type Signer,
} from '../../crypto/index.js'
import { BACKENDS, flipBit, persona, type Persona } from './personas.js'
import { NON_CANONICAL_KEYS, SMALL_ORDER_KEYS } from './vectors.js'

/** The context a rotation seals to: conversation and epoch (how client/core frames it is its own choice). */
const context = (conv: number, epoch: number) => frame('test/lockbox-context', [new Uint8Array(16).fill(conv), new Uint8Array([epoch])])

/*
 * The wire layout under test ([L1]), spelled out here rather than imported so the test pins it:
 *   u8(2) ‖ ephemeral(32) ‖ nonce(24) ‖ box(contextHash(32) ‖ sender(32) ‖ signature(64) ‖ secret)
 */
const VERSION = 2
const EPHEMERAL = { start: 1, end: 33 }
const NONCE = { start: 33, end: 57 }
const HEAD = 57
const MAC = 16
const INNER = 32 + 32 + 64
const MIN_LENGTH = HEAD + MAC + INNER // an empty secret
const DOMAIN_SIGN = 'fieldchat/v1/lockbox/signature'
const DOMAIN_CONTEXT = 'fieldchat/v1/lockbox/context'

/** Box `inner` to `to` from `ephemeral` (fresh unless given) and frame it as a v2 lockbox. */
function boxInner(inner: Uint8Array, to: Uint8Array, ephemeral: nacl.BoxKeyPair = nacl.box.keyPair()): Uint8Array {
  const nonce = nacl.randomBytes(24)
  return concat(Uint8Array.of(VERSION), ephemeral.publicKey, nonce, nacl.box(inner, nonce, to, ephemeral.secretKey))
}

/** What `who` finds inside a lockbox sealed to them: contextHash ‖ sender ‖ signature ‖ secret (null if it is not theirs). */
function unbox(lockbox: Uint8Array, who: Persona): Uint8Array | null {
  return nacl.box.open(lockbox.subarray(HEAD), lockbox.subarray(NONCE.start, NONCE.end), lockbox.subarray(EPHEMERAL.start, EPHEMERAL.end), who.keys.boxSecret)
}

interface HandBuilt {
  /** The box key the ciphertext is sealed to. */
  readonly to: Uint8Array
  /** The context whose hash goes inside the box. */
  readonly context: Uint8Array
  readonly secret: Uint8Array
  /** Who signs; omitted when `signature` is given. */
  readonly signer?: Signer
  /** The sender key named inside (default: the signer's key). */
  readonly sender?: Uint8Array
  /** The signature inside (default: the signer's signature over `signs`). */
  readonly signature?: Uint8Array
  /** What the signer signs, where it differs from what is sealed. */
  readonly signs?: { context?: Uint8Array; recipient?: Uint8Array; ephemeral?: Uint8Array; secret?: Uint8Array }
  readonly ephemeral?: nacl.BoxKeyPair
}

/** A lockbox built by hand with tweetnacl and the frame/domainHash helpers, so each field can be chosen. */
async function handBuilt(b: HandBuilt): Promise<Uint8Array> {
  const ephemeral = b.ephemeral ?? nacl.box.keyPair()
  const s = b.signs ?? {}
  const signature =
    b.signature ??
    (await b.signer!.sign(frame(DOMAIN_SIGN, [s.context ?? b.context, s.recipient ?? b.to, s.ephemeral ?? ephemeral.publicKey, s.secret ?? b.secret])))
  const sender = b.sender ?? b.signer!.publicKey
  return boxInner(concat(domainHash(DOMAIN_CONTEXT, b.context), sender, signature, b.secret), b.to, ephemeral)
}

/** Every `n`-byte window of `bytes`, as hex. */
function windows(bytes: Uint8Array, n: number): Set<string> {
  const out = new Set<string>()
  for (let i = 0; i + n <= bytes.length; i++) out.add(toHex(bytes.subarray(i, i + n)))
  return out
}
const sharedWindows = (a: Uint8Array, b: Uint8Array, n: number) => [...windows(a, n)].filter((w) => windows(b, n).has(w))

describe.each(BACKENDS)('lockboxes (%s backend)', (backend) => {
  let alice: Persona
  let bob: Persona
  let eve: Persona
  beforeEach(() => {
    useSignatureBackend(backend)
    alice = persona('alice')
    bob = persona('bob')
    eve = persona('eve')
  })
  afterEach(() => useSignatureBackend('auto'))

  const openAs = (who: Persona, box: Uint8Array, ctx = context(1, 2)) => openLockbox(box, who.keys.boxPublic, who.keys.boxSecret, ctx)
  const refused = (code: CryptoErrorCode) => expect.objectContaining({ ok: false, code })

  test('[L1] alice seals an epoch key to bob; bob opens it and learns that alice signed it', async () => {
    const epochKey = generateEpochKey()
    const box = await sealLockbox(epochKey, bob.keys.boxPublic, context(1, 2), alice.signer)
    expect(box[0]).toBe(VERSION)
    expect(box.length).toBe(MIN_LENGTH + epochKey.length)
    const opened = await openAs(bob, box)
    expect(opened.ok).toBe(true)
    if (!opened.ok) return
    expect(opened.value.secret).toEqual(epochKey)
    expect(opened.value.sender).toEqual(alice.keys.signPublic)
  })

  test('[L1] an empty secret makes the shortest lockbox, and it opens', async () => {
    const box = await sealLockbox(new Uint8Array(0), bob.keys.boxPublic, context(1, 2), alice.signer)
    expect(box.length).toBe(MIN_LENGTH)
    expect(await openAs(bob, box)).toEqual({ ok: true, value: { secret: new Uint8Array(0), sender: alice.keys.signPublic } })
  })

  test('[L1] nothing outside the box names the recipient or the sender', async () => {
    const secret = generateEpochKey()
    const a = await sealLockbox(secret, bob.keys.boxPublic, context(1, 2), alice.signer)
    const b = await sealLockbox(secret, bob.keys.boxPublic, context(1, 2), alice.signer)
    const named = { 'bob box key': bob.keys.boxPublic, 'bob signing key': bob.keys.signPublic, 'alice signing key': alice.keys.signPublic, 'alice box key': alice.keys.boxPublic }
    for (const box of [a, b]) {
      for (const [what, key] of Object.entries(named)) expect(sharedWindows(key, box, 8), what).toEqual([])
    }
    // A fresh ephemeral key and nonce each time: the two lockboxes share no 24-byte run at all.
    expect(sharedWindows(a, b, 24)).toEqual([])
    // Lockboxes to different devices from different senders look alike from outside: same version, same length.
    const other = await sealLockbox(secret, eve.keys.boxPublic, context(1, 2), bob.signer)
    expect(other.length).toBe(a.length)
    expect(other[0]).toBe(a[0])
  })

  test('[L1] eve (another device) cannot open a lockbox sealed to bob, nor can alice who sealed it: C104', async () => {
    const box = await sealLockbox(generateEpochKey(), bob.keys.boxPublic, context(1, 2), alice.signer)
    expect(await openAs(eve, box)).toEqual({ ok: false, code: CryptoErrorCode.DECRYPT_FAILED })
    expect(await openAs(alice, box)).toEqual({ ok: false, code: CryptoErrorCode.DECRYPT_FAILED })
    // Passing bob's public key with eve's secret key does not help either.
    expect(await openLockbox(box, bob.keys.boxPublic, eve.keys.boxSecret, context(1, 2))).toEqual({ ok: false, code: CryptoErrorCode.DECRYPT_FAILED })
  })

  test('[L2] a lockbox opened under another conversation or epoch is refused by the inner context hash: C102', async () => {
    const box = await sealLockbox(generateEpochKey(), bob.keys.boxPublic, context(1, 2), alice.signer)
    expect(await openAs(bob, box, context(1, 3))).toEqual({ ok: false, code: CryptoErrorCode.WRONG_CONTEXT })
    expect(await openAs(bob, box, context(9, 2))).toEqual({ ok: false, code: CryptoErrorCode.WRONG_CONTEXT })
    expect(await openAs(bob, box, new Uint8Array(0))).toEqual({ ok: false, code: CryptoErrorCode.WRONG_CONTEXT })
  })

  test('[L2] a sender who signs one context but seals another is refused under either: C102 or C101', async () => {
    const secret = generateEpochKey()
    // alice signs for (conv 1, epoch 3) but puts the hash of (conv 1, epoch 2) inside the box.
    const box = await handBuilt({ to: bob.keys.boxPublic, context: context(1, 2), secret, signer: alice.signer, signs: { context: context(1, 3) } })
    expect(await openAs(bob, box, context(1, 3))).toEqual({ ok: false, code: CryptoErrorCode.WRONG_CONTEXT })
    expect(await openAs(bob, box, context(1, 2))).toEqual({ ok: false, code: CryptoErrorCode.BAD_SIGNATURE })
    // The same hand-built lockbox with matching contexts opens, so the refusals above are the mismatch.
    const honest = await handBuilt({ to: bob.keys.boxPublic, context: context(1, 2), secret, signer: alice.signer })
    expect(await openAs(bob, honest)).toEqual({ ok: true, value: { secret, sender: alice.keys.signPublic } })
  })

  test('[L2] a signature by someone other than the named sender is refused: C101', async () => {
    const secret = generateEpochKey()
    // eve builds a box to bob naming alice as the sender but signed by eve.
    const forged = await handBuilt({ to: bob.keys.boxPublic, context: context(1, 2), secret, signer: eve.signer, sender: alice.keys.signPublic })
    expect(await openAs(bob, forged)).toEqual({ ok: false, code: CryptoErrorCode.BAD_SIGNATURE })
    // Nor does a made-up signature pass for alice's.
    for (const signature of [new Uint8Array(64), nacl.randomBytes(64)]) {
      const made = await handBuilt({ to: bob.keys.boxPublic, context: context(1, 2), secret, sender: alice.keys.signPublic, signature })
      expect(await openAs(bob, made)).toEqual({ ok: false, code: CryptoErrorCode.BAD_SIGNATURE })
    }
    // Signed by eve and naming eve, it opens: the sender returned is who signed, not who is trusted (client/core decides that).
    const honest = await handBuilt({ to: bob.keys.boxPublic, context: context(1, 2), secret, signer: eve.signer })
    expect(await openAs(bob, honest)).toEqual({ ok: true, value: { secret, sender: eve.keys.signPublic } })
  })

  test('[L2] the signature binds the recipient, the ephemeral key and the secret: a re-boxed lockbox is refused (C101)', async () => {
    const carol = persona('carol')
    const secret = generateEpochKey()
    // alice seals to carol; carol hands the inner bytes to eve, who re-boxes them to bob with a fresh ephemeral key.
    const toCarol = await sealLockbox(secret, carol.keys.boxPublic, context(1, 2), alice.signer)
    const inner = unbox(toCarol, carol)
    expect(inner).not.toBeNull()
    const reboxed = boxInner(inner!, bob.keys.boxPublic)
    expect(await openAs(bob, reboxed)).toEqual({ ok: false, code: CryptoErrorCode.BAD_SIGNATURE })
    // Each bound field on its own (alice herself building the box, so the ephemeral can be kept):
    const ephemeral = nacl.box.keyPair()
    const base = { to: bob.keys.boxPublic, context: context(1, 2), secret, signer: alice.signer, ephemeral }
    const signedForCarol = await handBuilt({ ...base, signs: { recipient: carol.keys.boxPublic } })
    const otherEphemeral = await handBuilt({ ...base, signs: { ephemeral: nacl.box.keyPair().publicKey } })
    const otherSecret = await handBuilt({ ...base, signs: { secret: generateEpochKey() } })
    for (const [what, box] of Object.entries({ signedForCarol, otherEphemeral, otherSecret })) {
      expect(await openAs(bob, box), what).toEqual({ ok: false, code: CryptoErrorCode.BAD_SIGNATURE })
    }
    expect(await openAs(bob, await handBuilt(base))).toEqual({ ok: true, value: { secret, sender: alice.keys.signPublic } })
  })

  test('[L1] every single-bit flip in the ephemeral key, nonce or ciphertext is refused: C104 (C101 for the one bit X25519 ignores)', async () => {
    const box = await sealLockbox(generateEpochKey(), bob.keys.boxPublic, context(1, 2), alice.signer)
    const X25519_IGNORED_BIT = (EPHEMERAL.end - 1) * 8 + 7 // the top bit of the ephemeral key's last byte
    for (let bit = EPHEMERAL.start * 8; bit < box.length * 8; bit++) {
      const opened = await openAs(bob, flipBit(box, bit))
      // X25519 masks that bit, so box.open still succeeds; the signature covers the ephemeral bytes as sent.
      const expected = bit === X25519_IGNORED_BIT ? CryptoErrorCode.BAD_SIGNATURE : CryptoErrorCode.DECRYPT_FAILED
      expect(opened, `byte ${bit >> 3} bit ${bit & 7}`).toEqual({ ok: false, code: expected })
    }
  })

  test('[L1] any change of one byte after the version is refused, C104 unless only the ignored X25519 bit changed', async () => {
    const box = await sealLockbox(generateEpochKey(), bob.keys.boxPublic, context(1, 2), alice.signer)
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: EPHEMERAL.start, max: box.length - 1 }), fc.integer({ min: 1, max: 255 }), async (at, mask) => {
        const tampered = box.slice()
        tampered[at]! ^= mask
        const onlyIgnoredBit = at === EPHEMERAL.end - 1 && mask === 0x80
        expect(await openAs(bob, tampered)).toEqual({ ok: false, code: onlyIgnoredBit ? CryptoErrorCode.BAD_SIGNATURE : CryptoErrorCode.DECRYPT_FAILED })
      }),
      { numRuns: 300 },
    )
  })

  test('[L1] truncated bytes are malformed below the minimum length (C100) and fail the authenticator above it (C104)', async () => {
    const box = await sealLockbox(generateEpochKey(), bob.keys.boxPublic, context(1, 2), alice.signer)
    for (let length = 0; length < box.length; length++) {
      const expected = length < MIN_LENGTH ? CryptoErrorCode.MALFORMED : CryptoErrorCode.DECRYPT_FAILED
      expect(await openAs(bob, box.subarray(0, length)), `length ${length}`).toEqual({ ok: false, code: expected })
    }
  })

  test('[L1] a version byte other than 2 (1 for the old format, 3 for a future one) is refused: C108', async () => {
    const box = await sealLockbox(generateEpochKey(), bob.keys.boxPublic, context(1, 2), alice.signer)
    for (const version of [1, 3, 0, 0xff]) {
      const other = box.slice()
      other[0] = version
      expect(await openAs(bob, other), `version ${version}`).toEqual(refused(CryptoErrorCode.UNSUPPORTED_VERSION))
    }
  })

  test('[C1] a small-order or non-canonical sender key inside the box is a bad key: C107', async () => {
    const secret = generateEpochKey()
    const signature = await alice.signer.sign(frame(DOMAIN_SIGN, [context(1, 2), bob.keys.boxPublic, new Uint8Array(32), secret]))
    for (const sender of [...SMALL_ORDER_KEYS, ...NON_CANONICAL_KEYS]) {
      const box = await handBuilt({ to: bob.keys.boxPublic, context: context(1, 2), secret, sender, signature })
      expect(await openAs(bob, box), toHex(sender)).toEqual({ ok: false, code: CryptoErrorCode.BAD_KEY })
    }
    // The context is checked before the sender key: under another context the same box is C102.
    const box = await handBuilt({ to: bob.keys.boxPublic, context: context(1, 2), secret, sender: SMALL_ORDER_KEYS[0]!, signature })
    expect(await openAs(bob, box, context(1, 3))).toEqual({ ok: false, code: CryptoErrorCode.WRONG_CONTEXT })
  })

  test('[C0] sealing to a 31-byte recipient key throws CryptoMisuse', async () => {
    await expect(sealLockbox(generateEpochKey(), new Uint8Array(31) as BoxPublicKey, context(1, 2), alice.signer)).rejects.toThrow(CryptoMisuse)
  })

  test('[C0] arbitrary bytes are refused with a code, never a throw', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: MIN_LENGTH + 64 }), fc.boolean(), async (bytes, v2) => {
        if (v2 && bytes.length > 0) bytes[0] = VERSION
        const opened = await openAs(bob, bytes)
        expect(opened.ok).toBe(false)
      }),
      { numRuns: 200 },
    )
  })
})
