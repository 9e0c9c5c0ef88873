import { sha512 } from '@noble/hashes/sha2.js'
import nacl from 'tweetnacl'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import {
  asSignSecretKey, concat, createSigner, isCanonicalS, parseSignPublicKey, signatureBackend, useSignatureBackend, verifySignature,
} from '../../crypto/index.js'
import { BACKENDS, hex } from './personas.js'
import { NON_CANONICAL_KEYS, SMALL_ORDER_KEYS } from './vectors.js'

/*
 * Wycheproof-style Ed25519 edge cases, run on both signature paths. Every vector carries the verdict
 * [C3] gives it (cofactorless RFC 8032 with k = SHA-512(R ‖ A ‖ M) mod L and R compared as bytes,
 * S < L, [C1] keys refused) and, checked by an independent BigInt model at the bottom of this file,
 * what it is: the orders of A and R, and which verification equation it satisfies:
 *   'cofactorless' [S]B = R + [k]A with R compared as bytes (what tweetnacl and OpenSSL compute),
 *                  so also the two below; S is taken as the integer it spells, even when S ≥ L
 *   'decoded-R'    only [S]B = decode(R) + [k]A, R decoded leniently (y mod p, x = 0 with the sign
 *                  bit set read as x = 0): R is a non-canonical spelling
 *   'cofactored'   only [8][S]B = [8](R + [k]A)
 *   'none'         no equation holds
 *
 * @noble/curves is not installed, so the constructed vectors were derived with the same BigInt
 * model (extended coordinates, SHA-512 from @noble/hashes):
 * - a = the clamped secret scalar of RFC 8032 §7.1 test 1, A = [a]B = d75a98…511a.
 * - "S = k·a": R is the 32 bytes named, k = SHA-512(R ‖ A ‖ M) mod L, S = k·a mod L. R behaves
 *   as the point [0]B + (R's point), so the signer needs no discrete log of R.
 * - "mixed R": R = [r]B + T8 with r = SHA-512("fieldchat edge-case nonce") mod L and T8 the
 *   order-8 point c7176a…037a; S = r + k·a mod L.
 * - "mixed key": A' = A + T8 (secret scalar still a), R = [r]B, S = r + k·a mod L, where the
 *   message "mixed key i" takes the first i for which (k mod L) mod 8 and the unreduced k mod 8
 *   give the wanted case ([k]A' = [k]A + [k]T8, and [k]T8 = identity iff 8 divides k).
 * - "small key": R = identity, S = 0, and the message "small key i" takes the first i for which
 *   [k mod L]A = identity, so the cofactorless equation holds (0 = identity + identity).
 * The "Taming the many EdDSAs" vectors 0–11 (Chalkias, Garillot, Nikolaenko 2020) are copied from
 * github.com/novifinancial/ed25519-speccheck cases.txt.
 * Not built: S = 0 with R and A both of mixed order (needs a SHA-512 preimage, as the paper notes),
 * and a valid signature whose non-canonical R or A spells a point of large order (y + p with
 * y mod p in 3..18: that needs the discrete log of a point nobody chose); such keys are only
 * checked as refused.
 */

type Order = 1 | 2 | 4 | 8 | 'L' | 'mixed' | 'none'
type Holds = 'cofactorless' | 'decoded-R' | 'cofactored' | 'none'
interface Vector {
  readonly name: string
  /** '[C1] [C3]' when [C1] refuses the key, '[C3]' otherwise: the id each test title starts with. */
  readonly rule: '[C3]' | '[C1] [C3]'
  readonly pub: string
  readonly msg: string
  readonly sig: string
  /** The verdict of verifySignature on both backends. */
  readonly valid: boolean
  readonly holds: Holds
  /** Orders of the points A and R spell (read leniently, as tweetnacl does); 'none' = not a curve point. */
  readonly orders: readonly [Order, Order]
}

const A_RFC1 = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'
const A_RFC2 = '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c'
const A_RFC3 = 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025'
// A_RFC1 + T8: a key of mixed order (prime-order part plus an order-8 part); [C1] does not refuse it.
const A_MIXED = '9158312a9a8d6e3b34c891d6d61444f8b8211c5117ebad15bdb0bd68b07e0245'
const SIG_RFC1 = 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'
const SIG_RFC2 = '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'
const SIG_RFC3 = '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a'
const R_RFC1 = SIG_RFC1.slice(0, 64)
const MSG_R = '5220656467652063617365' // "R edge case"
const ZERO_SIG = '01' + '00'.repeat(63) // R = identity, S = 0

const v = (name: string, rule: Vector['rule'], pub: string, msg: string, sig: string, valid: boolean, holds: Holds, orders: [Order, Order]): Vector =>
  ({ name, rule, pub, msg, sig, valid, holds, orders })

const VECTORS: readonly Vector[] = [
  // RFC 8032 §7.1 test 1: empty message.
  v('RFC 8032 test 1 (empty message)', '[C3]', A_RFC1, '', SIG_RFC1, true, 'cofactorless', ['L', 'L']),
  // RFC 8032 §7.1 test 2: one-byte message 72.
  v('RFC 8032 test 2 (1-byte message)', '[C3]', A_RFC2, '72', SIG_RFC2, true, 'cofactorless', ['L', 'L']),
  // RFC 8032 §7.1 test 3: two-byte message af82.
  v('RFC 8032 test 3 (2-byte message)', '[C3]', A_RFC3, 'af82', SIG_RFC3, true, 'cofactorless', ['L', 'L']),
  // Test 2 with bit 0 of the message flipped (72 → 73).
  v('message bit flip (test 2)', '[C3]', A_RFC2, '73', SIG_RFC2, false, 'none', ['L', 'L']),
  // Test 3 with bit 8 of the message flipped (af82 → af83).
  v('message bit flip (test 3)', '[C3]', A_RFC3, 'af83', SIG_RFC3, false, 'none', ['L', 'L']),
  // Test 1 with bit 0 of R flipped.
  v('R bit flip', '[C3]', A_RFC1, '', 'e4' + SIG_RFC1.slice(2), false, 'none', ['L', 'mixed']),
  // Test 1 with bit 0 of S flipped (S − 1, still canonical).
  v('S bit flip', '[C3]', A_RFC1, '', R_RFC1 + '5e' + SIG_RFC1.slice(66), false, 'none', ['L', 'L']),

  // Test 1 with S + L: the same point, a second spelling (tweetnacl alone accepts it).
  v('S + L of a valid signature', '[C3]', A_RFC1, '', R_RFC1 + '4c8c7872aa064e049dbb3013fbf29380d25bf5f0595bbe24655141438e7a101b', false, 'cofactorless', ['L', 'L']),
  // Test 1 with S + 15L, the largest multiple that fits in 32 bytes (top bits set, S ≥ 2^253).
  v('S + 15L of a valid signature', '[C3]', A_RFC1, '', R_RFC1 + '4223ea871b724fd5554fbbfc279dc5a4d35bf5f0595bbe24655141438e7a10fb', false, 'cofactorless', ['L', 'L']),
  // Test 1's R with S = L exactly.
  v('S = L', '[C3]', A_RFC1, '', R_RFC1 + 'edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010', false, 'none', ['L', 'L']),
  // Test 1's R with S = L − 1 (canonical, wrong).
  v('S = L - 1', '[C3]', A_RFC1, '', R_RFC1 + 'ecd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010', false, 'none', ['L', 'L']),
  // Test 1's R with S = 2^256 − 1.
  v('S = 2^256 - 1', '[C3]', A_RFC1, '', R_RFC1 + 'ff'.repeat(32), false, 'none', ['L', 'L']),
  // R = identity and S = 0 under an honest key: would need [k]A = identity.
  v('S = 0 with identity R', '[C3]', A_RFC1, '', ZERO_SIG, false, 'none', ['L', 1]),

  // R = identity (canonical), S = k·a: a genuine cofactorless signature with r = 0; only the key's owner can make it.
  v('R of order 1 (identity), S = k·a', '[C3]', A_RFC1, MSG_R, '010000000000000000000000000000000000000000000000000000000000000003f55aa42a57925fdb479a7b5120f17f1d27ce7ea526a567a2074d0abc106e01', true, 'cofactorless', ['L', 1]),
  // R = order-2 point (y = −1), S = k·a.
  v('R of order 2, S = k·a', '[C3]', A_RFC1, MSG_R, 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f5b23898900a88cd3e2a2d2608e8d608f9a3f51bec4a8701b1fb6ea50da0ff50c', false, 'cofactored', ['L', 2]),
  // R = order-4 point (y = 0, x positive), S = k·a.
  v('R of order 4 (y = 0, +x), S = k·a', '[C3]', A_RFC1, MSG_R, '00000000000000000000000000000000000000000000000000000000000000002332c1b76677233f8547bee399ac923f6000a35f75f45a8c4f0662a6b9945707', false, 'cofactored', ['L', 4]),
  // R = order-4 point (y = 0, x negative), S = k·a.
  v('R of order 4 (y = 0, -x), S = k·a', '[C3]', A_RFC1, MSG_R, '00000000000000000000000000000000000000000000000000000000000000804f8cc36ba7c00bc9406952e2e3c916e74aabcbe6d84c3b8d90a1e806a143c706', false, 'cofactored', ['L', 4]),
  // R = order-8 point c717…037a, S = k·a.
  v('R of order 8 (c717…7a), S = k·a', '[C3]', A_RFC1, MSG_R, 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a966f8e97262f62b695a34f76715cc49276e56a2087a04df622c4407b1625bb04', false, 'cofactored', ['L', 8]),
  // R = order-8 point c717…03fa, S = k·a.
  v('R of order 8 (c717…fa), S = k·a', '[C3]', A_RFC1, MSG_R, 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa809552e029936e1a0ad9790e3efaf949b8a1419eb95f7a8093c25c37b6c4fe03', false, 'cofactored', ['L', 8]),
  // R = order-8 point 26e8…fc05, S = k·a.
  v('R of order 8 (26e8…05), S = k·a', '[C3]', A_RFC1, MSG_R, '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05b2ee756d296ffc2478e2fc9012114816e4680a2da094b79c32188a35b21a180a', false, 'cofactored', ['L', 8]),
  // R = order-8 point 26e8…fc85, S = k·a.
  v('R of order 8 (26e8…85), S = k·a', '[C3]', A_RFC1, MSG_R, '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85a7da5a0fab4389d5caec3b0b09b9a2cbd9d6574f25fdb8c905fdc8041c6ff300', false, 'cofactored', ['L', 8]),
  // R = [r]B + T8 (mixed order), S = r + k·a: valid only under the cofactored equation.
  v('mixed-order R, valid only cofactored', '[C3]', A_RFC1, MSG_R, '3fe5271883be11be4c7f6d9b98e7a7bd7171a36b961478d9f2457808d5857993a2616f1f945ff13d4c1d4f659deabfcda8105d086fafc5e5307772b1d8a40f0d', false, 'cofactored', ['L', 'mixed']),
  // R = y = p + 1 (non-canonical identity), S = k·a: holds if R were decoded.
  v('non-canonical R: y = p + 1 (identity)', '[C3]', A_RFC1, MSG_R, 'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7fb7ebb7afdd2cfca06a4639a53640d724b651da404cc69b8b306708f3281e880f', false, 'decoded-R', ['L', 1]),
  // R = y = p + 1 with the sign bit set, S = k·a.
  v('non-canonical R: y = p + 1, sign bit set', '[C3]', A_RFC1, MSG_R, 'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffd10400f087f1e1627042a2a5ae9a83c70e73b439e878ca5a0ee852ec0aeaa605', false, 'decoded-R', ['L', 1]),
  // R = identity with the sign bit set ("negative zero", x = 0), S = k·a.
  v('non-canonical R: identity with sign bit (negative zero)', '[C3]', A_RFC1, MSG_R, '01000000000000000000000000000000000000000000000000000000000000803ca85889ee825424917c6317942bfcc9681d879b3c3cc7f930484a6d00566b0e', false, 'decoded-R', ['L', 1]),
  // R = y = p (non-canonical spelling of the order-4 point y = 0), S = k·a.
  v('non-canonical R: y = p (order 4)', '[C3]', A_RFC1, MSG_R, 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f8234404a083d17335a715eb4c25b1e60bddcac6c02e13a8c1e0e71263b72fa0b', false, 'cofactored', ['L', 4]),
  // R = y = −1 with the sign bit set (negative zero of the order-2 point), S = k·a.
  v('non-canonical R: y = -1 with sign bit (negative zero)', '[C3]', A_RFC1, MSG_R, 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffcb13173194a5be37621c399cdeb75ca3af65a6d4d1baf21b899d6bd737f79e02', false, 'cofactored', ['L', 2]),

  // Mixed key, "mixed key 2": 8 divides k mod L (not k), so cofactorless with reduced k holds.
  v('mixed-order key, cofactorless equation holds (k mod L ≡ 0 mod 8)', '[C3]', A_MIXED, '6d69786564206b65792032', 'bfe28c021b966bb58a856aba77dfafd6741b730a7de49c551086ae04d77b80d65f2ccc806f425fe44bbb3575c6110cd2e9356a70ef909999993096caef295308', true, 'cofactorless', ['mixed', 'L']),
  // Mixed key, "mixed key 12": 8 divides the unreduced k but not k mod L: valid only cofactored.
  v('mixed-order key, holds only with unreduced k or cofactored', '[C3]', A_MIXED, '6d69786564206b6579203132', 'bfe28c021b966bb58a856aba77dfafd6741b730a7de49c551086ae04d77b80d6cfd25c6f249874c01696d6787cc2186c0f87add86baec2aa282e3d6d9ae0de07', false, 'cofactored', ['mixed', 'L']),
  // Mixed key, "mixed key 0": 8 divides neither: valid only cofactored.
  v('mixed-order key, valid only cofactored', '[C3]', A_MIXED, '6d69786564206b65792030', 'bfe28c021b966bb58a856aba77dfafd6741b730a7de49c551086ae04d77b80d689337b4860d004d6fa35a051456125258192d4660e023922ae82af313b0d6a0f', false, 'cofactored', ['mixed', 'L']),

  // Small-order key y = 1 (identity), R = identity, S = 0: holds for every message.
  v('small-order key: identity (order 1)', '[C1] [C3]', '0100000000000000000000000000000000000000000000000000000000000000', '736d616c6c206b65792030', ZERO_SIG, false, 'cofactorless', [1, 1]),
  // Small-order key y = −1 (order 2), "small key 0".
  v('small-order key: y = -1 (order 2)', '[C1] [C3]', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', '736d616c6c206b65792030', ZERO_SIG, false, 'cofactorless', [2, 1]),
  // Small-order key y = 0, x positive (order 4), "small key 5".
  v('small-order key: y = 0, +x (order 4)', '[C1] [C3]', '0000000000000000000000000000000000000000000000000000000000000000', '736d616c6c206b65792035', ZERO_SIG, false, 'cofactorless', [4, 1]),
  // Small-order key y = 0, x negative (order 4), "small key 3".
  v('small-order key: y = 0, -x (order 4)', '[C1] [C3]', '0000000000000000000000000000000000000000000000000000000000000080', '736d616c6c206b65792033', ZERO_SIG, false, 'cofactorless', [4, 1]),
  // Small-order key c717…037a (order 8), "small key 6".
  v('small-order key: c717…7a (order 8)', '[C1] [C3]', 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', '736d616c6c206b65792036', ZERO_SIG, false, 'cofactorless', [8, 1]),
  // Small-order key c717…03fa (order 8, the negative of the previous), "small key 5".
  v('small-order key: c717…fa (order 8)', '[C1] [C3]', 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa', '736d616c6c206b65792035', ZERO_SIG, false, 'cofactorless', [8, 1]),
  // Small-order key 26e8…fc05 (order 8), "small key 15".
  v('small-order key: 26e8…05 (order 8)', '[C1] [C3]', '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', '736d616c6c206b6579203135', ZERO_SIG, false, 'cofactorless', [8, 1]),
  // Small-order key 26e8…fc85 (order 8, the negative of the previous), "small key 0".
  v('small-order key: 26e8…85 (order 8)', '[C1] [C3]', '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85', '736d616c6c206b65792030', ZERO_SIG, false, 'cofactorless', [8, 1]),
  // Identity with the sign bit set ("negative zero"), "small key 0".
  v('small-order key: identity, negative zero', '[C1] [C3]', '0100000000000000000000000000000000000000000000000000000000000080', '736d616c6c206b65792030', ZERO_SIG, false, 'cofactorless', [1, 1]),
  // y = −1 with the sign bit set ("negative zero"), "small key 0".
  v('small-order key: y = -1, negative zero', '[C1] [C3]', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff', '736d616c6c206b65792030', ZERO_SIG, false, 'cofactorless', [2, 1]),
  // y = p, the non-canonical spelling of y = 0 (order 4), "small key 4".
  v('non-canonical small-order key: y = p', '[C1] [C3]', 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', '736d616c6c206b65792034', ZERO_SIG, false, 'cofactorless', [4, 1]),
  // y = p with the sign bit set (order 4), "small key 3".
  v('non-canonical small-order key: y = p, sign bit set', '[C1] [C3]', 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff', '736d616c6c206b65792033', ZERO_SIG, false, 'cofactorless', [4, 1]),
  // y = p + 1, the non-canonical spelling of the identity, "small key 0".
  v('non-canonical small-order key: y = p + 1 (identity)', '[C1] [C3]', 'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', '736d616c6c206b65792030', ZERO_SIG, false, 'cofactorless', [1, 1]),
  // y = p + 1 with the sign bit set, "small key 0".
  v('non-canonical small-order key: y = p + 1, sign bit set', '[C1] [C3]', 'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff', '736d616c6c206b65792030', ZERO_SIG, false, 'cofactorless', [1, 1]),
  // y = p + 3: a non-canonical spelling of a mixed-order point, with test 1's signature.
  v('non-canonical key: y = p + 3 (mixed order)', '[C1] [C3]', 'f0' + 'ff'.repeat(30) + '7f', '', SIG_RFC1, false, 'none', ['mixed', 'L']),
  // y = 2^255 − 1 (= p + 18, mixed order), sign bit clear, with test 1's signature.
  v('non-canonical key: y = 2^255 - 1', '[C1] [C3]', 'ff'.repeat(31) + '7f', '', SIG_RFC1, false, 'none', ['mixed', 'L']),
  // y = 2^255 − 1 with the sign bit set (all 32 bytes 0xff), with test 1's signature.
  v('non-canonical key: y = 2^255 - 1, sign bit set', '[C1] [C3]', 'ff'.repeat(32), '', SIG_RFC1, false, 'none', ['mixed', 'L']),

  // Taming 0: S = 0, small-order A and R.
  v('Taming 0: S = 0, small A, small R', '[C1] [C3]', 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa', '8c93255d71dcab10e8f379c26200f3c7bd5f09d9bc3068d3ef4edeb4853022b6', 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a0000000000000000000000000000000000000000000000000000000000000000', false, 'cofactorless', [8, 8]),
  // Taming 1: 0 < S < L, small-order A, mixed-order R.
  v('Taming 1: small A, mixed R', '[C1] [C3]', 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa', '9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79', 'f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43a5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04', false, 'cofactorless', [8, 'mixed']),
  // Taming 2: mixed-order A, small-order R; the cofactorless equation holds.
  v('Taming 2: mixed A, small R', '[C3]', 'f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43', 'aebf3f2601a0c8c5d39cc7d8911642f740b78168218da8471772b35f9d35b9ab', 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa8c4bd45aecaca5b24fb97bc10ac27ac8751a7dfe1baff8b953ec9f5833ca260e', true, 'cofactorless', ['mixed', 8]),
  // Taming 3: mixed-order A and R; the cofactorless equation holds.
  v('Taming 3: mixed A, mixed R, cofactorless holds', '[C3]', 'cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d', '9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79', '9046a64750444938de19f227bb80485e92b83fdb4b6506c160484c016cc1852f87909e14428a7a1d62e9f22f3d3ad7802db02eb2e688b6c52fcd6648a98bd009', true, 'cofactorless', ['mixed', 'mixed']),
  // Taming 4: mixed-order A and R; only the cofactored equation holds.
  v('Taming 4: mixed A, mixed R, only cofactored', '[C3]', 'cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d', 'e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c', '160a1cb0dc9c0258cd0a7d23e94d8fa878bcb1925f2c64246b2dee1796bed5125ec6bc982a269b723e0668e540911a9a6a58921d6925e434ab10aa7940551a09', false, 'cofactored', ['mixed', 'mixed']),
  // Taming 5: mixed-order A, R of order L; only the cofactored equation holds.
  v('Taming 5: mixed A, prime-order R, only cofactored', '[C3]', 'cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d', 'e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c', '21122a84e0b5fca4052f5b1235c80a537878b38f3142356b2c2384ebad4668b7e40bc836dac0f71076f9abe3a53f9c03c1ceeeddb658d0030494ace586687405', false, 'cofactored', ['mixed', 'L']),
  // Taming 6: S > L (S < 2^253), otherwise valid.
  v('Taming 6: S > L', '[C3]', '442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623', '85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40', 'e96f66be976d82e60150baecff9906684aebb1ef181f67a7189ac78ea23b6c0e547f7690a0e2ddcd04d87dbc3490dc19b3b3052f7ff0538cb68afb369ba3a514', false, 'cofactorless', ['L', 'L']),
  // Taming 7: S >> L (S ≥ 2^253), otherwise valid.
  v('Taming 7: S >> L', '[C3]', '442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623', '85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40', '8ce5b96c8f26d0ab6c47958c9e68b937104cd36e13c33566acd2fe8d38aa19427e71f98a473474f2f13f06f97c20d58cc3f54b8bd0d272f42b695dd7e89a8c22', false, 'cofactorless', ['L', 'L']),
  // Taming 8: non-canonical R (y = −1 with the sign bit set), mixed-order A; k hashes R's canonical spelling.
  v('Taming 8: non-canonical R, k over canonical R', '[C3]', 'f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43', '9bedc267423725d473888631ebf45988bad3db83851ee85c85e241a07d148b41', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff03be9678ac102edcd92b0210bb34d7428d12ffc5df5f37e359941266a4e35f0f', false, 'none', ['mixed', 2]),
  // Taming 9: non-canonical R (y = −1 with the sign bit set), mixed-order A; k hashes R as sent.
  v('Taming 9: non-canonical R, k over R as sent', '[C3]', 'f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43', '9bedc267423725d473888631ebf45988bad3db83851ee85c85e241a07d148b41', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffca8c5b64cd208982aa38d4936621a4775aa233aa0505711d8fdcfdaa943d4908', false, 'decoded-R', ['mixed', 2]),
  // Taming 10: non-canonical small-order A (y = −1 with the sign bit set).
  v('Taming 10: non-canonical A', '[C1] [C3]', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff', 'e96b7021eb39c1a163b6da4e3093dcd3f21387da4cc4572be588fafae23c155b', 'a9d55260f765261eb9b84e106f665e00b867287a761990d7135963ee0a7d59dca5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04', false, 'cofactored', [2, 'mixed']),
  // Taming 11: non-canonical small-order A (y = −1 with the sign bit set); tweetnacl and OpenSSL alone accept it.
  v('Taming 11: non-canonical A', '[C1] [C3]', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff', '39a591f5321bbe07fd5a23dc2f39d025d74526615746727ceefd6e82ae65c06f', 'a9d55260f765261eb9b84e106f665e00b867287a761990d7135963ee0a7d59dca5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04', false, 'cofactorless', [2, 'mixed']),
]

/** RFC 8032 §7.1 tests 1–3 as [seed, public key, message, signature]. */
const RFC8032: readonly (readonly [string, string, string, string])[] = [
  ['9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', A_RFC1, '', SIG_RFC1],
  ['4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', A_RFC2, '72', SIG_RFC2],
  ['c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7', A_RFC3, 'af82', SIG_RFC3],
]

const verdict = (x: Vector) => verifySignature(hex(x.msg), hex(x.sig), hex(x.pub))

describe.each(BACKENDS)('Ed25519 edge-case vectors (%s backend)', (backend) => {
  beforeEach(() => useSignatureBackend(backend))
  afterEach(() => useSignatureBackend('auto'))

  test('[C3] runs on the intended backend', async () => {
    expect(await signatureBackend()).toBe(backend === 'tweetnacl' ? 'tweetnacl' : 'webcrypto')
  })

  test.each(VECTORS.map((x) => [`${x.rule} ${x.name}`, x] as const))('%s', async (_, x) => {
    expect(await verdict(x)).toBe(x.valid)
    // [C1] refuses exactly the keys marked so; every other key here parses.
    expect(parseSignPublicKey(hex(x.pub)) === undefined).toBe(x.rule === '[C1] [C3]')
    expect(isCanonicalS(hex(x.sig))).toBe(leToBig(hex(x.sig).subarray(32)) < L)
  })

  test('[C3] RFC 8032 §7.1 tests 1–3: this path signs the same bytes', async () => {
    for (const [seed, pub, msg, sig] of RFC8032) {
      const signer = createSigner(asSignSecretKey(concat(hex(seed), hex(pub))))
      expect(signer.publicKey).toEqual(hex(pub))
      expect(await signer.sign(hex(msg))).toEqual(hex(sig))
    }
  })

  test('[C3] wrong lengths: 63- and 65-byte signatures, 31- and 33-byte keys return false, never throw', async () => {
    const sig = hex(SIG_RFC1)
    const pub = hex(A_RFC1)
    const msg = new Uint8Array(0)
    expect(await verifySignature(msg, sig, pub)).toBe(true)
    expect(await verifySignature(msg, sig.subarray(0, 63), pub)).toBe(false)
    expect(await verifySignature(msg, concat(sig, new Uint8Array(1)), pub)).toBe(false)
    expect(await verifySignature(msg, sig, pub.subarray(0, 31))).toBe(false)
    expect(await verifySignature(msg, sig, concat(pub, new Uint8Array(1)))).toBe(false)
    expect(await verifySignature(msg, new Uint8Array(0), pub)).toBe(false)
    expect(await verifySignature(msg, sig, new Uint8Array(0))).toBe(false)
  })
})

describe('Ed25519 edge-case vectors: cross-checks', () => {
  afterEach(() => useSignatureBackend('auto'))

  test('[C3] both backends give every vector the same verdict', async () => {
    const verdicts: Record<string, boolean[]> = {}
    for (const backend of BACKENDS) {
      useSignatureBackend(backend)
      verdicts[backend] = await Promise.all(VECTORS.map(verdict))
    }
    expect(verdicts.tweetnacl).toEqual(verdicts.auto)
    expect(verdicts.auto).toEqual(VECTORS.map((x) => x.valid))
  })

  test('[C3] each vector is what its comment says (independent BigInt model)', () => {
    const model = VECTORS.map((x) => {
      const [msg, sig, pub] = [hex(x.msg), hex(x.sig), hex(x.pub)]
      return [x.name, holds(msg, sig, pub), orderOf(pub), orderOf(sig.subarray(0, 32))]
    })
    expect(model).toEqual(VECTORS.map((x) => [x.name, x.holds, ...x.orders]))
    // Taming 8 holds once R is decoded and k is taken over R's canonical spelling.
    const t8 = VECTORS.find((x) => x.name.startsWith('Taming 8'))!
    const [msg, sig, pub] = [hex(t8.msg), hex(t8.sig), hex(t8.pub)]
    const r = decode(sig.subarray(0, 32))!
    const k = challenge(concat(hex(encode(r)), sig.subarray(32)), pub, msg) % L
    expect(same(mul(leToBig(sig.subarray(32)), BASE), add(r, mul(k, decode(pub)!)))).toBe(true)
  })

  test('[C3] the verdict is the cofactorless equation with k reduced mod L, S < L and [C1] on top', () => {
    for (const x of VECTORS) {
      const sig = hex(x.sig)
      const sCanonical = leToBig(sig.subarray(32)) < L
      expect([x.name, x.valid]).toEqual([x.name, x.holds === 'cofactorless' && sCanonical && x.rule === '[C3]'])
    }
    // The mixed-key pair pins down the reduction: with k unreduced the verdicts would swap.
    const [holdsReduced, holdsUnreduced] = VECTORS.filter((x) => x.pub === A_MIXED)
    for (const [x, reducedHolds] of [[holdsReduced!, true], [holdsUnreduced!, false]] as const) {
      const [msg, sig, pub] = [hex(x.msg), hex(x.sig), hex(x.pub)]
      expect(cofactorless(msg, sig, pub, true)).toBe(reducedHolds)
      expect(cofactorless(msg, sig, pub, false)).toBe(!reducedHolds)
    }
  })

  test('[C1] [C3] the vectors spell all eight small-order points, both sign bits and every y ≥ p spelling of one', () => {
    const keys = new Set(VECTORS.filter((x) => x.name.includes('small-order key')).map((x) => x.pub))
    const expected = [...SMALL_ORDER_KEYS, ...NON_CANONICAL_KEYS.filter((k) => orderOf(k) !== 'mixed' && orderOf(k) !== 'none')]
    expect(expected).toHaveLength(14)
    expect([...keys].sort()).toEqual(expected.map(toHex).sort())
    for (const k of [...SMALL_ORDER_KEYS, ...NON_CANONICAL_KEYS]) expect(parseSignPublicKey(k)).toBeUndefined()
  })

  test('[C1] [C3] without the checks in verifySignature tweetnacl would accept S ≥ L and the [C1] keys', () => {
    // tweetnacl.sign.detached.verify computes exactly the 'cofactorless' column (it checks neither
    // S < L nor the key), so every refusal of a 'cofactorless' vector is verifySignature's own.
    for (const x of VECTORS) {
      expect([x.name, nacl.sign.detached.verify(hex(x.msg), hex(x.sig), hex(x.pub))]).toEqual([x.name, x.holds === 'cofactorless'])
    }
  })
})

/*
 * Independent reference model of edwards25519 (BigInt, extended coordinates, the complete a = −1
 * addition law). Test-only: it classifies the vectors above and is never used to verify anything.
 */
type Point = readonly [bigint, bigint, bigint, bigint]
const P = 2n ** 255n - 19n
const L = 2n ** 252n + 27742317777372353535851937790883648493n
const md = (a: bigint): bigint => ((a % P) + P) % P
function pow(b: bigint, e: bigint): bigint {
  let r = 1n
  for (b = md(b); e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) r = (r * b) % P
  return r
}
const inv = (a: bigint) => pow(a, P - 2n)
const D = md(-121665n * inv(121666n))
const SQRT_M1 = pow(2n, (P - 1n) / 4n)
const IDENTITY: Point = [0n, 1n, 1n, 0n]
function leToBig(bytes: Uint8Array): bigint {
  let n = 0n
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!)
  return n
}
const bigToLe = (n: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn))
const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
function add([X1, Y1, Z1, T1]: Point, [X2, Y2, Z2, T2]: Point): Point {
  const a = md((Y1 - X1) * (Y2 - X2)), b = md((Y1 + X1) * (Y2 + X2)), c = md(T1 * 2n * D * T2), d = md(Z1 * 2n * Z2)
  const e = b - a, f = d - c, g = d + c, h = b + a
  return [md(e * f), md(g * h), md(f * g), md(e * h)]
}
const neg = ([X, Y, Z, T]: Point): Point => [md(-X), Y, Z, md(-T)]
function mul(n: bigint, p: Point): Point {
  let r = IDENTITY
  for (let q = p; n > 0n; n >>= 1n, q = add(q, q)) if (n & 1n) r = add(r, q)
  return r
}
function encode([X, Y, Z]: Point): string {
  const zi = inv(Z)
  const x = md(X * zi), y = md(Y * zi)
  return toHex(bigToLe(y | ((x & 1n) << 255n)))
}
/** Lenient decoding, as tweetnacl does: y is taken mod p and x = 0 with the sign bit set is x = 0. */
function decode(bytes: Uint8Array): Point | undefined {
  const n = leToBig(bytes)
  const y = md(n & (2n ** 255n - 1n))
  const u = md(y * y - 1n), w = md(D * y * y + 1n)
  let x = md(u * pow(w, 3n) * pow(u * pow(w, 7n), (P - 5n) / 8n))
  if (md(w * x * x) !== u) {
    if (md(w * x * x) !== md(-u)) return undefined
    x = md(x * SQRT_M1)
  }
  if ((x & 1n) !== n >> 255n) x = md(-x)
  return [x, y, 1n, md(x * y)]
}
const BASE = decode(bigToLe(md(4n * inv(5n))))!
const same = (a: Point, b: Point) => encode(a) === encode(b)
function orderOf(bytes: Uint8Array): Order {
  const p = decode(bytes)
  if (!p) return 'none'
  for (const o of [1, 2, 4, 8] as const) if (same(mul(BigInt(o), p), IDENTITY)) return o
  return same(mul(L, p), IDENTITY) ? 'L' : 'mixed'
}
const challenge = (sig: Uint8Array, pub: Uint8Array, msg: Uint8Array) => leToBig(sha512(concat(sig.subarray(0, 32), pub, msg)))
/** encode([S]B − [k]A) = R as bytes: what tweetnacl and OpenSSL compute (S as the integer it spells). */
function cofactorless(msg: Uint8Array, sig: Uint8Array, pub: Uint8Array, reduceK = true): boolean {
  const a = decode(pub)
  if (!a) return false
  const k = challenge(sig, pub, msg)
  return encode(add(mul(leToBig(sig.subarray(32)), BASE), neg(mul(reduceK ? k % L : k, a)))) === toHex(sig.subarray(0, 32))
}
function holds(msg: Uint8Array, sig: Uint8Array, pub: Uint8Array): Holds | string {
  const a = decode(pub)
  const r = decode(sig.subarray(0, 32))
  if (!a || !r) return cofactorless(msg, sig, pub) ? 'inconsistent' : 'none'
  const sB = mul(leToBig(sig.subarray(32)), BASE)
  const rkA = add(r, mul(challenge(sig, pub, msg) % L, a))
  const [cl, dr, cf] = [cofactorless(msg, sig, pub), same(sB, rkA), same(mul(8n, sB), mul(8n, rkA))]
  if (cl && dr && cf) return 'cofactorless'
  if (!cl && dr && cf) return 'decoded-R'
  if (!cl && !dr && cf) return 'cofactored'
  if (!cl && !dr && !cf) return 'none'
  return `inconsistent: cofactorless ${cl}, decoded R ${dr}, cofactored ${cf}`
}
