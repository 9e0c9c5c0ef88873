import { createHash, randomBytes } from 'node:crypto'
import { afterEach, describe, expect, test } from 'vitest'
import { CryptoMisuse, HASH_AHEAD_BYTES, HASH_WORKER_MIN_BYTES, backgroundContentHasher, toHex, useHashWorkers } from '../../crypto/index.js'

/** [F5a] The content hash computed beside the caller: the same digest as sha256sum, bounded, and refusing misuse. */
const sha256sum = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

afterEach(() => useHashWorkers(true))

describe.each([
  ['a worker thread', true],
  ['inline', false],
])('[F5a] %s', (_, workers) => {
  test('the digest of content fed in uneven pieces (one longer than what may wait) is sha256sum of the whole', async () => {
    useHashWorkers(workers)
    const whole = randomBytes(HASH_WORKER_MIN_BYTES + HASH_AHEAD_BYTES + 12_345)
    const h = backgroundContentHasher(whole.length)
    const cuts = [0, 1, 65_536, 65_537, 1_048_576 * 3, 1_048_576 * 3 + HASH_AHEAD_BYTES + 1, whole.length]
    for (let i = 1; i < cuts.length; i++) await h.update(whole.subarray(cuts[i - 1], cuts[i]))
    expect(toHex(await h.digest())).toBe(sha256sum(whole))
  })

  test('a buffer reused at once after update does not change the digest (update copies)', async () => {
    useHashWorkers(workers)
    const a = randomBytes(1_048_576)
    const b = randomBytes(1_048_576)
    const buffer = Buffer.alloc(1_048_576)
    const h = backgroundContentHasher(HASH_WORKER_MIN_BYTES)
    buffer.set(a)
    const first = h.update(buffer)
    buffer.set(b) // before the first update settled
    await Promise.all([first, h.update(buffer)])
    expect(toHex(await h.digest())).toBe(sha256sum(Buffer.concat([a, b])))
  })

  test('misuse is refused: update or digest after digest, anything after close', async () => {
    useHashWorkers(workers)
    const h = backgroundContentHasher(HASH_WORKER_MIN_BYTES)
    await h.update(new Uint8Array([1, 2, 3]))
    expect(toHex(await h.digest())).toBe(sha256sum(new Uint8Array([1, 2, 3])))
    await expect(h.update(new Uint8Array(1))).rejects.toBeInstanceOf(CryptoMisuse)
    await expect(h.digest()).rejects.toBeInstanceOf(CryptoMisuse)
    h.close()
    h.close()
    const g = backgroundContentHasher(HASH_WORKER_MIN_BYTES)
    await g.update(new Uint8Array(10))
    g.close()
    await expect(g.update(new Uint8Array(1))).rejects.toBeInstanceOf(CryptoMisuse)
    await expect(g.digest()).rejects.toBeInstanceOf(CryptoMisuse)
  })
})

test('[F5a] small content is hashed inline (no thread start), with the same digest; the empty content too', async () => {
  const h = backgroundContentHasher(10)
  await h.update(new Uint8Array([97, 98, 99]))
  expect(toHex(await h.digest())).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad') // FIPS 180-2 "abc"
  const e = backgroundContentHasher(HASH_WORKER_MIN_BYTES)
  expect(toHex(await e.digest())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
})

test('[F5a] a close while updates wait for the worker releases them with an error, not a hang', async () => {
  const h = backgroundContentHasher(HASH_WORKER_MIN_BYTES)
  const big = new Uint8Array(HASH_AHEAD_BYTES)
  const updates = [h.update(big), h.update(big), h.update(big)]
  h.close()
  const settled = await Promise.allSettled(updates)
  // The first was queued before the close; those waiting on the worker were released by it.
  expect(settled.filter((s) => s.status === 'rejected').length).toBeGreaterThanOrEqual(1)
})
