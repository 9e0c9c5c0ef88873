import { deriveKey, utf8 } from '../../../crypto/index.js'

/**
 * [Q6] Discrete Laplace noise (the two-sided geometric distribution): P(k) ∝ α^|k| with
 * α = exp(−1/scale), drawn as the difference of two geometric variables by inversion. Variance
 * 2α/(1−α)². The uniforms come from `uniform` (values in (0, 1]); {@link keyedUniforms} gives a
 * stream fixed by a secret and a label, so that a released number is the same every time it is
 * shown and cannot be averaged out by asking again.
 */
export function discreteLaplace(uniform: () => number, scale: number): number {
  if (!(scale > 0)) return 0
  const logAlpha = -1 / scale
  const geometric = () => Math.floor(Math.log(uniform()) / logAlpha)
  return geometric() - geometric()
}

/** `count` 53-bit uniforms in (0, 1] from HKDF(secret, label) (at most 1,020; a draw of {@link discreteLaplace} takes 2). */
export function keyedUniforms(secret: Uint8Array, label: string, count = 2): () => number {
  if (!Number.isInteger(count) || count < 1 || count > 1020) throw new RangeError('1 to 1020 uniforms')
  const bytes = deriveKey(secret, 'fieldchat/v1/stats/noise', utf8.encode(label), count * 8)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = 0
  return () => {
    if (at + 8 > bytes.length) throw new RangeError('noise stream exhausted')
    const hi = view.getUint32(at) >>> 11
    const lo = view.getUint32(at + 4)
    at += 8
    return (hi * 2 ** 32 + lo + 1) / 2 ** 53
  }
}

/** The variance of {@link discreteLaplace} at `scale`. */
export function discreteLaplaceVariance(scale: number): number {
  const a = Math.exp(-1 / scale)
  return (2 * a) / (1 - a) ** 2
}
