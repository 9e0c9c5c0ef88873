import { describe, expect, test, vi } from 'vitest'
import * as signature from '../../crypto/envelope/signature.js'
import { openEnvelope, openEnvelopes, sealEnvelope, type EnvelopeHash } from '../../crypto/index.js'
import { headerFor, readerContext, room, type Persona, type Room } from './personas.js'

async function chain(r: Room, author: Persona, n: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  let prev: EnvelopeHash | undefined
  for (let seq = 1; seq <= n; seq++) {
    const env = await sealEnvelope(headerFor(r, author, { seq, ...(prev ? { prev } : {}) }), new Uint8Array([seq]), r.epochKey, author.signer)
    out.push(env.bytes)
    prev = env.hash
  }
  return out
}

describe('[E11] a backlog page verifies one signature per device run', () => {
  test('[E11] a run of five envelopes opens like openEnvelope, with one signature check', async () => {
    const r = room()
    const envs = await chain(r, r.alice, 5)
    const spy = vi.spyOn(signature, 'verifyEnvelopeSignature')
    const batch = await openEnvelopes(envs, readerContext(r))
    expect(spy).toHaveBeenCalledTimes(1)
    spy.mockRestore()
    const single = await Promise.all(envs.map((e) => openEnvelope(e, readerContext(r))))
    expect(batch.map((b) => b.ok && [...b.value.payload])).toEqual(single.map((s) => s.ok && [...s.value.payload]))
    expect(batch.every((b) => b.ok)).toBe(true)
  })

  test('[E11] two devices interleaved: one check per device; order of results is the input order', async () => {
    const r = room()
    const [a, b] = [await chain(r, r.alice, 3), await chain(r, r.bob, 3)]
    const mixed = [a[0]!, b[0]!, a[1]!, b[1]!, b[2]!, a[2]!]
    const spy = vi.spyOn(signature, 'verifyEnvelopeSignature')
    const out = await openEnvelopes(mixed, readerContext(r))
    expect(spy).toHaveBeenCalledTimes(2)
    spy.mockRestore()
    expect(out.map((o) => o.ok && o.value.header.seq)).toEqual([1, 1, 2, 2, 3, 3])
  })

  test('[E11] a tampered envelope in the middle breaks the link: it fails, its predecessors are checked on their own', async () => {
    const r = room()
    const envs = await chain(r, r.alice, 4)
    const bad = envs[2]!.slice()
    bad[bad.length - 1]! ^= 1 // ciphertext: its hash no longer matches envelope 4's prev
    const out = await openEnvelopes([envs[0]!, envs[1]!, bad, envs[3]!], readerContext(r))
    expect(out.map((o) => (o.ok ? 'ok' : o.code))).toEqual(['ok', 'ok', 'C101_BAD_SIGNATURE', 'ok'])
  })

  test('[E11] a newest envelope with a bad signature vouches for nothing: the genuine older ones are checked and open', async () => {
    const r = room()
    const envs = await chain(r, r.alice, 3)
    const forged = await sealEnvelope(headerFor(r, r.alice, { seq: 4, prev: new Uint8Array(32) as EnvelopeHash }), new Uint8Array([9]), r.epochKey, r.eve.signer).catch(() => undefined)
    expect(forged).toBeUndefined() // eve cannot even seal under alice's device key
    const stolen = envs[2]!.slice()
    stolen[150]! ^= 1 // a signature byte of the newest: it fails, and vouches for nothing
    const spy = vi.spyOn(signature, 'verifyEnvelopeSignature')
    const out = await openEnvelopes([envs[0]!, envs[1]!, stolen], readerContext(r))
    expect(out.map((o) => (o.ok ? 'ok' : o.code))).toEqual(['ok', 'ok', 'C101_BAD_SIGNATURE'])
    expect(spy).toHaveBeenCalledTimes(2) // the next genuine one is checked and vouches for the rest
    spy.mockRestore()
  })

  test('[E11] malformed bytes and snapshots are handled one by one', async () => {
    const r = room()
    const envs = await chain(r, r.alice, 2)
    const out = await openEnvelopes([new Uint8Array(10), ...envs], readerContext(r))
    expect(out.map((o) => (o.ok ? 'ok' : o.code))).toEqual(['C100_MALFORMED', 'ok', 'ok'])
  })
})
