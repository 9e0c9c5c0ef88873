import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { randomBytes } from '../../crypto/verify.js'
import { BLOB_CHUNK_BYTES, blobIdOf, blobPaths, parseBlobSpaceUsage, type BlobId } from '../../protocol/index.js'
import { blobBytes } from '../../sync-server/blobs/BlobStore.js'
import type { BlobLimits } from '../../sync-server/limits.js'
import { startSyncServer, type RunningServer } from '../../sync-server/server.js'
import { openMemoryStore } from '../../sync-server/store/memory.js'
import { blobCall, LiveRoom, signedHeaders, httpRequest, type Holder } from './blobHttp.js'
import { captureLogs } from './harness.js'

/**
 * [B4][B11] Quotas per space, the server's capacity and the request rate, over real HTTP.
 * Personas: alice's and bob's conversations belong to the acme organisation, whose space is a
 * registered conversation of its own; carol's conversation has no organisation.
 */
const C = BLOB_CHUNK_BYTES
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b))
const ws = (s: RunningServer) => `${s.url.replace('http', 'ws')}/sync`
const unlimitedRate: Partial<BlobLimits> = { requestsPerMinute: 1e9, burstRequests: 1e9 }

async function start(blobLimits: Partial<BlobLimits>, dataDir?: string): Promise<RunningServer> {
  return startSyncServer({ port: 0, host: '127.0.0.1', log: captureLogs().log, blobLimits, ...(dataDir ? { dataDir } : { store: openMemoryStore() }) })
}
const create = (s: RunningServer, who: Holder, chunks: number, space?: Holder, id: BlobId = blobIdOf(randomBytes(16))) =>
  blobCall(s.url, who, 'POST', blobPaths.create(id, chunks), space ? { space } : {}).then((a) => ({ ...a, id }))

describe('[B4] quota per space and capacity of the server', () => {
  let server: RunningServer
  let alice: LiveRoom, bob: LiveRoom, carol: LiveRoom, acme: LiveRoom
  beforeAll(async () => {
    server = await start({ ...unlimitedRate, spaceQuotaBytes: blobBytes(10), maxTotalBytes: blobBytes(24) })
    const rooms = await Promise.all([0, 1, 2, 3].map(() => LiveRoom.open(ws(server))))
    ;[alice, bob, carol, acme] = rooms as [LiveRoom, LiveRoom, LiveRoom, LiveRoom]
  })
  afterAll(async () => {
    for (const r of [alice, bob, carol, acme]) r.close()
    await server.close()
  })

  test('[B4] without x-fieldchat-space a blob counts against its conversation; with it, against the space; beyond the quota B413_QUOTA, beyond the server\'s total B507_STORAGE_FULL — and what is stored stays intact', async () => {
    const chunks = Array.from({ length: 8 }, () => randomBytes(C))
    const first = await create(server, alice, 8)
    expect(first.status).toBe(201)
    await blobCall(server.url, alice, 'PUT', blobPaths.put(first.id, 0), { body: Buffer.concat(chunks) })
    const over = await create(server, alice, 4)
    expect([over.status, over.json?.code]).toEqual([413, 'B413_QUOTA'])
    expect((await blobCall(server.url, alice, 'GET', blobPaths.status(over.id))).json?.code).toBe('B404_NOT_FOUND')
    expect((await create(server, alice, 2)).status).toBe(201)

    // bob's blobs go to acme's account, which has its own quota.
    expect((await create(server, bob, 8, acme)).status).toBe(201)
    expect((await create(server, carol, 4, acme)).json?.code).toBe('B413_QUOTA')
    expect((await create(server, carol, 4)).status).toBe(201)
    // 10 + 8 + 4 of 24 chunks are taken: the server is full before carol's quota is.
    const full = await create(server, carol, 4)
    expect([full.status, full.json?.code]).toEqual([507, 'B507_STORAGE_FULL'])
    expect((await create(server, carol, 2)).status).toBe(201)
    expect(same((await blobCall(server.url, alice, 'GET', blobPaths.data(first.id))).body, Buffer.concat(chunks))).toBe(true)

    // [B8] a delete frees its quota at once.
    expect((await blobCall(server.url, alice, 'DELETE', blobPaths.remove(first.id))).status).toBe(204)
    expect((await create(server, alice, 8)).status).toBe(201)
  })

  test('[B4] the space header must prove the space\'s current capability over the same request: a malformed one is B401_AUTH_MISSING, a wrong one or an unregistered space B403_DENIED, and nothing is created', async () => {
    const id = blobIdOf(randomBytes(16))
    const target = blobPaths.create(id, 2)
    const good = await signedHeaders(alice, 'POST', target, { space: acme })
    const cases: [string, number, string][] = [
      [`${good['x-fieldchat-space']},x=1`, 401, 'B401_AUTH_MISSING'],
      [(await signedHeaders(alice, 'POST', target, { space: { conv: acme.conv, epoch: acme.epoch, cap: bob.cap } }))['x-fieldchat-space']!, 403, 'B403_DENIED'],
      [(await signedHeaders(alice, 'POST', target, { space: { conv: randomBytes(16), epoch: 0, cap: bob.cap } }))['x-fieldchat-space']!, 403, 'B403_DENIED'],
      // Signed over another time than the authorization's: the pair is one request.
      [(await signedHeaders(alice, 'POST', target, { space: acme, time: Date.now() - 1000 }))['x-fieldchat-space']!, 403, 'B403_DENIED'],
    ]
    for (const [space, status, code] of cases) {
      const answer = await httpRequest(server.url, 'POST', target, { headers: { authorization: good.authorization!, 'x-fieldchat-space': space } })
      expect([answer.status, answer.json?.code], space).toEqual([status, code])
    }
    expect((await blobCall(server.url, alice, 'GET', blobPaths.status(id))).json?.code).toBe('B404_NOT_FOUND')
  })
})

describe('[B13] a space\'s usage', () => {
  test('[B13] asked with the space\'s own capability: its blobs\' padded bytes, complete or not, the part still to upload and the quota; any other conversation learns its own usage only; a wrong proof is B403, none B401, another method B400', async () => {
    const s = await start({ ...unlimitedRate, spaceQuotaBytes: blobBytes(40) })
    const [alice, acme, carol] = (await Promise.all([0, 1, 2].map(() => LiveRoom.open(ws(s))))) as [LiveRoom, LiveRoom, LiveRoom]
    try {
      const usage = async (who: Holder) => {
        const a = await blobCall(s.url, who, 'GET', blobPaths.usage())
        expect(a.status, JSON.stringify(a.json)).toBe(200)
        return parseBlobSpaceUsage(a.json)
      }
      expect(await usage(acme)).toEqual({ bytes: 0, pending: 0, quotaBytes: blobBytes(40) })
      const inAcme = await create(s, alice, 8, acme)
      await blobCall(s.url, alice, 'PUT', blobPaths.put(inAcme.id, 0), { body: Buffer.concat(Array.from({ length: 3 }, () => randomBytes(C))) })
      expect((await create(s, carol, 4)).status).toBe(201)
      expect(await usage(acme)).toEqual({ bytes: blobBytes(8), pending: blobBytes(5), quotaBytes: blobBytes(40) })
      expect(await usage(carol)).toEqual({ bytes: blobBytes(4), pending: blobBytes(4), quotaBytes: blobBytes(40) })
      expect(await usage(alice)).toEqual({ bytes: 0, pending: 0, quotaBytes: blobBytes(40) })
      // Deleted: counted no more.
      expect((await blobCall(s.url, alice, 'DELETE', blobPaths.remove(inAcme.id))).status).toBe(204)
      expect((await usage(acme))?.bytes).toBe(0)
      expect((await blobCall(s.url, { conv: acme.conv, epoch: acme.epoch, cap: carol.cap }, 'GET', blobPaths.usage())).json?.code).toBe('B403_DENIED')
      expect((await httpRequest(s.url, 'GET', blobPaths.usage())).json?.code).toBe('B401_AUTH_MISSING')
      for (const method of ['POST', 'PUT', 'DELETE'] as const) expect((await blobCall(s.url, acme, method, blobPaths.usage())).json?.code, method).toBe('B400_BAD_REQUEST')
    } finally {
      for (const r of [alice, acme, carol]) r.close()
      await s.close()
    }
  })
})

describe('[B4] the free-disk reserve', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fieldchat-blobs-reserve-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test('[B4] a create that would leave less free disk (statfs of the blob folder) than the reserve is 507 B507_STORAGE_FULL', async () => {
    const server = await start({ ...unlimitedRate, diskReserveBytes: 1e18 }, dir)
    const alice = await LiveRoom.open(ws(server))
    try {
      const refused = await create(server, alice, 1)
      expect([refused.status, refused.json?.code]).toEqual([507, 'B507_STORAGE_FULL'])
    } finally {
      alice.close()
      await server.close()
    }
  })
})

describe('[B11] rate per client address', () => {
  test('[B11] beyond the burst every request, malformed ones too, is 429 B429_RATE_LIMITED with retry-after; the WebSocket is not counted', async () => {
    const server = await start({ requestsPerMinute: 60, burstRequests: 3 })
    const alice = await LiveRoom.open(ws(server))
    try {
      const id = blobIdOf(randomBytes(16))
      expect((await httpRequest(server.url, 'GET', '/v1/blobs/nonsense')).json?.code).toBe('B400_BAD_REQUEST')
      expect((await create(server, alice, 1, undefined, id)).status).toBe(201)
      expect((await blobCall(server.url, alice, 'GET', blobPaths.status(id))).status).toBe(200)
      const limited = await blobCall(server.url, alice, 'GET', blobPaths.status(id))
      expect([limited.status, limited.json?.code, Number(limited.headers['retry-after'])]).toEqual([429, 'B429_RATE_LIMITED', 1])
      expect((await httpRequest(server.url, 'GET', '/healthz')).status).toBe(200)
    } finally {
      alice.close()
      await server.close()
    }
  })
})
