import { bytesEqual, toHex } from '../bytes.js'
import { CryptoErrorCode, fail, type Result } from '../errors.js'
import { decryptVerified, type OpenContext, type OpenedEnvelope } from './open.js'
import { verifyEnvelopeSignature } from './signature.js'
import { BATCH_KIND } from './header.js'
import { hashOfEnvelope, splitEnvelope, type EnvelopeParts } from './wire.js'

/**
 * [E11] Open a batch (a backlog page): per chain ([E13]), only the newest envelope of each run of
 * consecutive change batches has its signature verified; each older one is accepted because its
 * successor, already accepted, commits to its hash in `prev`. Everything else — decryption, the
 * header hash, the context — is checked for every envelope as in `openEnvelope`. Results are in
 * input order and equal what `openEnvelope` would return for each, at a fraction of the
 * signature checks (one per chain and run instead of one per envelope).
 */
export async function openEnvelopes(envs: readonly Uint8Array[], ctx: OpenContext): Promise<Result<OpenedEnvelope>[]> {
  const parts = envs.map((e) => splitEnvelope(e))
  const hashes = parts.map((p) => (p ? hashOfEnvelope(p) : undefined))
  const bySeq = new Map<string, number>()
  parts.forEach((p, i) => {
    if (p && p.header.kind === BATCH_KIND) bySeq.set(`${toHex(p.header.chain)}/${p.header.seq}`, i)
  })
  // An envelope is vouched for by its successor when the successor's prev is its hash.
  const successor = parts.map((p, i) => {
    if (!p || p.header.kind !== BATCH_KIND) return undefined
    const next = bySeq.get(`${toHex(p.header.chain)}/${p.header.seq + 1}`)
    const np = next === undefined ? undefined : parts[next]
    return np && bytesEqual(np.header.prev, hashes[i]!) ? next : undefined
  })
  // Newest first, so that a successor's verdict exists before its predecessor's is made from it:
  // no recursion, however long a chain's run is (a hostile frame may carry thousands).
  const verified = new Map<number, Promise<boolean>>()
  const order = parts.map((_, i) => i).sort((a, b) => (parts[b]?.header.seq ?? 0) - (parts[a]?.header.seq ?? 0))
  for (const i of order) {
    if (!parts[i]) continue
    const next = successor[i]
    const own = () => verifyEnvelopeSignature(parts[i] as EnvelopeParts)
    // A successor that fails vouches for nothing: fall back to this envelope's own signature.
    verified.set(i, next === undefined ? own() : verified.get(next)!.then((ok) => ok || own()))
  }
  const accepted = (i: number): Promise<boolean> => verified.get(i)!
  return Promise.all(
    parts.map(async (p, i): Promise<Result<OpenedEnvelope>> => {
      if (!p) return fail(CryptoErrorCode.MALFORMED)
      if (!(await accepted(i))) return fail(CryptoErrorCode.BAD_SIGNATURE)
      return decryptVerified(p, ctx)
    }),
  )
}
