import { hex } from './personas.js'

/**
 * The eight small-order points of edwards25519 (orders 1, 2, 4, 4, 8, 8, 8, 8): y = 1, y = -1,
 * y = 0 with both signs of x, the two order-8 y values with both signs; then two sign-bit variants.
 */
export const SMALL_ORDER_KEYS: Uint8Array[] = [
  hex('0100000000000000000000000000000000000000000000000000000000000000'),
  hex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'),
  hex('0000000000000000000000000000000000000000000000000000000000000000'),
  hex('0000000000000000000000000000000000000000000000000000000000000080'),
  hex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'),
  hex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa'),
  hex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'),
  hex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85'),
  // x = 0 with the sign bit set ("negative zero"): non-canonical spellings of y = 1 and y = -1.
  hex('0100000000000000000000000000000000000000000000000000000000000080'),
  hex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'),
]

/** Every encoding with y ≥ p = 2^255 - 19 (y = p .. 2^255 - 1), with both sign bits. */
export const NON_CANONICAL_KEYS: Uint8Array[] = []
for (let low = 0xed; low <= 0xff; low++) {
  for (const top of [0x7f, 0xff]) {
    const key = new Uint8Array(32).fill(0xff)
    key[0] = low
    key[31] = top
    NON_CANONICAL_KEYS.push(key)
  }
}
