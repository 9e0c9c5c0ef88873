import { describe, expect, test, vi } from 'vitest'
import * as signature from '../../crypto/envelope/signature.js'
import {
  CryptoMisuse, HEADER_BYTES, NONCE_BYTES, SNAPSHOT_KIND, hashOfEnvelope, openEnvelope, openEnvelopes, sealEnvelope, splitEnvelope,
  type ChainAuthor, type EnvelopeHash,
} from '../../crypto/index.js'
import { authorIn, headerFor, readerContext, room, type Persona, type Room } from './personas.js'

async function chain(r: Room, author: Persona, n: number): Promise<Uint8Array[]> {
  const a = await authorIn(r, author)
  const out: Uint8Array[] = []
  let prev: EnvelopeHash | undefined
  for (let seq = 1; seq <= n; seq++) {
    const env = await sealEnvelope(headerFor(r, a, { seq, ...(prev ? { prev } : {}) }), new Uint8Array([seq]), r.epochKey, a)
    out.push(env.bytes)
    prev = env.hash
  }
  return out
}

describe('[E11] a backlog page verifies one signature per chain run', () => {
  test('[E11] a run of five envelopes opens like openEnvelope, with one signature check', async () => {
    const r = room()
    const envs = await chain(r, r.alice, 5)
    const spy = vi.spyOn(signature, 'verifyEnvelopeSignature')
    const batch = await openEnvelopes(envs, readerContext(r))
    expect(spy).toHaveBeenCalledTimes(1)
    spy.mockRestore()
    const single = await Promise.all(envs.map((e) => openEnvelope(e, readerContext(r))))
    expect(batch.map((b) => b.ok && [...b.value.payload])).toEqual(single.map((s) => s.ok && [...s.value.payload]))
    expect(batch.map((b) => b.ok && [...b.value.device])).toEqual(single.map((s) => s.ok && [...s.value.device]))
    expect(batch.every((b) => b.ok)).toBe(true)
  })

  test('[E11] a run of 10,000 envelopes of one chain, in any order, opens with one signature check (verdicts are made newest first, without recursion)', async () => {
    const r = room()
    const envs = await chain(r, r.alice, 10_000)
    const spy = vi.spyOn(signature, 'verifyEnvelopeSignature')
    const out = await openEnvelopes([...envs].reverse(), readerContext(r))
    expect(spy).toHaveBeenCalledTimes(1)
    spy.mockRestore()
    expect(out.every((o) => o.ok)).toBe(true)
  }, 120_000)

  test('[E11] two authors interleaved: one check per chain; order of results is the input order', async () => {
    const r = room()
    const [a, b] = [await chain(r, r.alice, 3), await chain(r, r.bob, 3)]
    const mixed = [a[0]!, b[0]!, a[1]!, b[1]!, b[2]!, a[2]!]
    const spy = vi.spyOn(signature, 'verifyEnvelopeSignature')
    const out = await openEnvelopes(mixed, readerContext(r))
    expect(spy).toHaveBeenCalledTimes(2)
    spy.mockRestore()
    expect(out.map((o) => o.ok && o.value.header.seq)).toEqual([1, 1, 2, 2, 3, 3])
    const who = [r.alice, r.bob, r.alice, r.bob, r.bob, r.alice].map((p) => [...p.keys.signPublic])
    expect(out.map((o) => o.ok && [...o.value.device])).toEqual(who)
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
    const alice = await authorIn(r, r.alice)
    const eve = await authorIn(r, r.eve)
    // eve cannot even seal a header naming alice's chain key with her own chain author
    await expect(sealEnvelope(headerFor(r, alice, { seq: 4, prev: new Uint8Array(32) as EnvelopeHash }), new Uint8Array([9]), r.epochKey, eve)).rejects.toThrow(CryptoMisuse)
    // and a doctored author that claims alice's chain signs with eve's key: the envelope fails [E3]
    const onAlice: ChainAuthor = { ...eve, chain: alice.chain }
    const forged = await sealEnvelope(headerFor(r, alice, { seq: 4 }), new Uint8Array([9]), r.epochKey, onAlice)
    expect(await openEnvelope(forged.bytes, readerContext(r))).toEqual({ ok: false, code: 'C101_BAD_SIGNATURE' })
    const stolen = envs[2]!.slice()
    stolen[HEADER_BYTES + NONCE_BYTES + 16]! ^= 1 // a signature byte of the newest: it fails, and vouches for nothing
    const spy = vi.spyOn(signature, 'verifyEnvelopeSignature')
    const out = await openEnvelopes([envs[0]!, envs[1]!, stolen], readerContext(r))
    expect(out.map((o) => (o.ok ? 'ok' : o.code))).toEqual(['ok', 'ok', 'C101_BAD_SIGNATURE'])
    expect(spy).toHaveBeenCalledTimes(2) // the next genuine one is checked and vouches for the rest
    spy.mockRestore()
  })

  test('[E11] malformed bytes and snapshots are handled one by one', async () => {
    const r = room()
    const envs = await chain(r, r.alice, 2)
    const a = await authorIn(r, r.alice)
    const head = hashOfEnvelope(splitEnvelope(envs[1]!)!)
    const snapshot = await sealEnvelope(headerFor(r, a, { kind: SNAPSHOT_KIND, seq: 2, prev: head }), new Uint8Array([1, 2]), r.epochKey, a)
    const spy = vi.spyOn(signature, 'verifyEnvelopeSignature')
    const out = await openEnvelopes([new Uint8Array(10), ...envs, snapshot.bytes], readerContext(r))
    expect(out.map((o) => (o.ok ? 'ok' : o.code))).toEqual(['C100_MALFORMED', 'ok', 'ok', 'ok'])
    expect(spy).toHaveBeenCalledTimes(2) // the batch run (its newest) and the snapshot on its own
    spy.mockRestore()
    expect(out[3]!.ok && out[3]!.value.header.kind).toBe(SNAPSHOT_KIND)
  })
})
