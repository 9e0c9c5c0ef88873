import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { randomBytes, toHex } from '../../crypto/verify.js'
import { BLOB_CHUNK_BYTES, BLOB_MAX_CHUNKS, BLOB_MAX_CHUNKS_PER_PUT, blobIdBytes, blobIdOf, blobPaths, parseBlobError, parseBlobStatus, type BlobId } from '../../protocol/index.js'
import { startSyncServer, type RunningServer } from '../../sync-server/server.js'
import { blobCall, httpRequest, LiveRoom, markedContent, sealedFile, signedHeaders, type Holder } from './blobHttp.js'
import { captureLogs } from './harness.js'

/**
 * The blob endpoints over real HTTP on loopback ([B3]–[B8]), on the default stores (SQLite and
 * files in a data folder), with conversations registered by their creators over the real
 * WebSocket. Personas: alice's conversation uploads and downloads; bob's is another
 * conversation; eve signs with keys she should not have, or had before a removal.
 */
const C = BLOB_CHUNK_BYTES
const dir = mkdtempSync(join(tmpdir(), 'fieldchat-blobs-http-'))
const { log, lines } = captureLogs()
let server: RunningServer
let url: string
let alice: LiveRoom
let bob: LiveRoom
const secrets: string[] = []
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b))

beforeAll(async () => {
  server = await startSyncServer({ port: 0, host: '127.0.0.1', dataDir: dir, log, blobLimits: { requestsPerMinute: 1e9, burstRequests: 1e9 } })
  url = server.url
  const ws = `${url.replace('http', 'ws')}/sync`
  alice = await LiveRoom.open(ws)
  bob = await LiveRoom.open(ws)
  secrets.push(toHex(alice.conv), toHex(bob.conv), Buffer.from(alice.conv).toString('base64url'), Buffer.from(bob.conv).toString('base64url'))
})
afterAll(async () => {
  alice.close()
  bob.close()
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

/** Creates and uploads `chunks` in PUTs of `per` chunks as `who`; returns the blob id. */
async function upload(who: Holder, chunks: readonly Uint8Array[], per = 16, id: BlobId = blobIdOf(randomBytes(16))): Promise<BlobId> {
  secrets.push(id, toHex(blobIdBytes(id)))
  const created = await blobCall(url, who, 'POST', blobPaths.create(id, chunks.length))
  expect(created.status, JSON.stringify(created.json)).toBe(201)
  for (let start = 0; start < chunks.length; start += per) {
    const put = await blobCall(url, who, 'PUT', blobPaths.put(id, start), { body: Buffer.concat(chunks.slice(start, start + per)) })
    expect(put.status, JSON.stringify(put.json)).toBe(200)
  }
  return id
}
const randomChunks = (n: number) => Array.from({ length: n }, () => randomBytes(C))

describe('[B4]–[B7] upload and download', () => {
  test('[B5][B7] a 3 MB file sealed by crypto, uploaded in several PUTs, downloads whole and by ranges byte for byte', async () => {
    const file = await sealedFile(markedContent('inspection video, pump 7 ', 3_000_000))
    expect(file.chunks).toHaveLength(48) // 46 sealed, padded to 48 ([B2])
    const id = file.id
    secrets.push(id)
    const created = await blobCall(url, alice, 'POST', blobPaths.create(id, 48))
    expect([created.status, created.json]).toEqual([201, { chunks: 48, stored: 0, complete: false }])
    // [B4] the same create again is how a client resumes: 200 and the status.
    expect((await blobCall(url, alice, 'POST', blobPaths.create(id, 48))).status).toBe(200)
    for (const start of [0, 16, 32]) {
      const put = await blobCall(url, alice, 'PUT', blobPaths.put(id, start), { body: file.bytes.subarray(start * C, (start + 16) * C) })
      expect(parseBlobStatus(put.json)).toEqual({ chunks: 48, stored: start + 16, complete: start === 32 })
    }
    expect((await blobCall(url, alice, 'GET', blobPaths.status(id))).json).toEqual({ chunks: 48, stored: 48, complete: true })

    const whole = await blobCall(url, alice, 'GET', blobPaths.data(id))
    expect(whole.status).toBe(200)
    expect(whole.headers['content-length']).toBe(String(48 * C))
    expect(whole.headers['content-type']).toBe('application/octet-stream')
    expect(whole.headers['accept-ranges']).toBe('bytes')
    expect(whole.headers['cache-control']).toBe('no-store')
    expect(same(whole.body, file.bytes)).toBe(true)

    const size = 48 * C
    const ranges: [string, number, number][] = [
      ['bytes=0-99', 0, 100],
      [`bytes=${C - 3}-${C + 4}`, C - 3, C + 5],
      [`bytes=${5 * C}-${20 * C - 1}`, 5 * C, 20 * C],
      [`bytes=${size - 10}-`, size - 10, size],
      ['bytes=-70000', size - 70000, size],
      [`bytes=100-${size + 999}`, 100, size],
      ['bytes=-99999999', 0, size],
    ]
    for (const [range, start, end] of ranges) {
      const part = await blobCall(url, alice, 'GET', blobPaths.data(id), { headers: { range } })
      expect(part.status, range).toBe(206)
      expect(part.headers['content-range'], range).toBe(`bytes ${start}-${end - 1}/${size}`)
      expect(part.headers['content-length'], range).toBe(String(end - start))
      expect(same(part.body, file.bytes.subarray(start, end)), range).toBe(true)
    }
  })

  test('[B5] one PUT of 128 chunks (8 slabs, the body\'s three slabs reused in turn while the one before is written) and a retry overlapping 40 of them store every chunk byte for byte', async () => {
    const file = await sealedFile(markedContent('slab reuse ', 200 * 65_536))
    const id = file.id
    secrets.push(id)
    const count = file.chunks.length
    expect((await blobCall(url, alice, 'POST', blobPaths.create(id, count))).status).toBe(201)
    expect(parseBlobStatus((await blobCall(url, alice, 'PUT', blobPaths.put(id, 0), { body: file.bytes.subarray(0, 40 * C) })).json)?.stored).toBe(40)
    expect(parseBlobStatus((await blobCall(url, alice, 'PUT', blobPaths.put(id, 0), { body: file.bytes.subarray(0, 128 * C) })).json)?.stored).toBe(128)
    expect(parseBlobStatus((await blobCall(url, alice, 'PUT', blobPaths.put(id, 128), { body: file.bytes.subarray(128 * C) })).json)?.complete).toBe(true)
    const whole = await blobCall(url, alice, 'GET', blobPaths.data(id))
    expect(same(whole.body, file.bytes)).toBe(true)
  })

  test('[B5] a retry whose answer was lost overlaps the stored chunks: only the rest is stored; a start beyond stored is B409_OUT_OF_ORDER with stored', async () => {
    const chunks = randomChunks(8)
    const id = blobIdOf(randomBytes(16))
    secrets.push(id)
    await blobCall(url, alice, 'POST', blobPaths.create(id, 8))
    await blobCall(url, alice, 'PUT', blobPaths.put(id, 0), { body: Buffer.concat(chunks.slice(0, 3)) })
    const ahead = await blobCall(url, alice, 'PUT', blobPaths.put(id, 5), { body: Buffer.concat(chunks.slice(5)) })
    expect([ahead.status, ahead.json?.code, ahead.json?.stored]).toEqual([409, 'B409_OUT_OF_ORDER', 3])
    const retry = await blobCall(url, alice, 'PUT', blobPaths.put(id, 1), { body: Buffer.concat(chunks.slice(1, 6)) })
    expect(retry.json).toEqual({ chunks: 8, stored: 6, complete: false })
    await blobCall(url, alice, 'PUT', blobPaths.put(id, 6), { body: Buffer.concat(chunks.slice(6)) })
    // [B5] a complete blob is immutable: a fully overlapping retry is an idempotent no-op.
    const again = await blobCall(url, alice, 'PUT', blobPaths.put(id, 4), { body: Buffer.concat(randomChunks(4)) })
    expect(again.json).toEqual({ chunks: 8, stored: 8, complete: true })
    expect(same((await blobCall(url, alice, 'GET', blobPaths.data(id))).body, Buffer.concat(chunks))).toBe(true)
  })

  test('[B5] PUTs sent together, even arriving last-first on their own connections, wait for the ones before them and are appended in order: all succeed and the blob is whole', async () => {
    const chunks = randomChunks(12)
    const id = blobIdOf(randomBytes(16))
    secrets.push(id)
    await blobCall(url, alice, 'POST', blobPaths.create(id, 12))
    const put = (start: number, delayMs: number) =>
      new Promise((r) => setTimeout(r, delayMs)).then(() => blobCall(url, alice, 'PUT', blobPaths.put(id, start), { body: Buffer.concat(chunks.slice(start, start + 4)) }))
    const answers = await Promise.all([put(0, 300), put(4, 150), put(8, 0)])
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200])
    expect(answers.map((a) => a.json?.stored).sort((a, b) => Number(a) - Number(b))).toEqual([4, 8, 12])
    expect(same((await blobCall(url, alice, 'GET', blobPaths.data(id))).body, Buffer.concat(chunks))).toBe(true)
  })

  test('[B7] an incomplete blob is B409_INCOMPLETE; HEAD answers the headers without a body; one unsatisfiable range or several ranges are 416 B416_RANGE', async () => {
    const chunks = randomChunks(2)
    const id = blobIdOf(randomBytes(16))
    secrets.push(id)
    await blobCall(url, alice, 'POST', blobPaths.create(id, 2))
    await blobCall(url, alice, 'PUT', blobPaths.put(id, 0), { body: chunks[0] })
    const early = await blobCall(url, alice, 'GET', blobPaths.data(id))
    expect([early.status, early.json?.code]).toEqual([409, 'B409_INCOMPLETE'])
    await blobCall(url, alice, 'PUT', blobPaths.put(id, 1), { body: chunks[1] })

    const head = await blobCall(url, alice, 'HEAD', blobPaths.data(id))
    expect([head.status, head.headers['content-length'], head.headers['accept-ranges'], head.body.length]).toEqual([200, String(2 * C), 'bytes', 0])
    const headRange = await blobCall(url, alice, 'HEAD', blobPaths.data(id), { headers: { range: 'bytes=10-19' } })
    expect([headRange.status, headRange.headers['content-range'], headRange.body.length]).toEqual([206, `bytes 10-19/${2 * C}`, 0])

    for (const range of [`bytes=${2 * C}-`, 'bytes=-0', 'bytes=9-3', 'bytes=0-1,5-9', 'items=0-1', 'bytes=abc', 'bytes=-']) {
      const refused = await blobCall(url, alice, 'GET', blobPaths.data(id), { headers: { range } })
      expect([refused.status, refused.json?.code, refused.headers['content-range']], range).toEqual([416, 'B416_RANGE', `bytes */${2 * C}`])
    }
  })

  test('[B8] DELETE answers 204; afterwards the blob is B404_NOT_FOUND for status, data, PUT and DELETE', async () => {
    const id = await upload(alice, randomChunks(2))
    const removed = await blobCall(url, alice, 'DELETE', blobPaths.remove(id))
    expect([removed.status, removed.body.length]).toEqual([204, 0])
    for (const [method, target, body] of [['GET', blobPaths.status(id)], ['GET', blobPaths.data(id)], ['PUT', blobPaths.put(id, 0), randomBytes(C)], ['DELETE', blobPaths.remove(id)]] as const) {
      const gone = await blobCall(url, alice, method, target, body ? { body } : {})
      expect([gone.status, gone.json?.code], `${method} ${target}`).toEqual([404, 'B404_NOT_FOUND'])
    }
  })

  test('[B4] a create with another count, or of the same id by another conversation, is B409_CONFLICT and changes nothing', async () => {
    const id = await upload(alice, randomChunks(2))
    expect((await blobCall(url, alice, 'POST', blobPaths.create(id, 3))).json?.code).toBe('B409_CONFLICT')
    expect((await blobCall(url, bob, 'POST', blobPaths.create(id, 2))).json?.code).toBe('B409_CONFLICT')
    expect((await blobCall(url, alice, 'GET', blobPaths.status(id))).json).toEqual({ chunks: 2, stored: 2, complete: true })
  })
})

describe('[B3] who may ask', () => {
  test('[B3] a bad proof, or another conversation\'s capability over this conversation\'s id, is B403_DENIED; under its own id, another conversation gets B404 for this blob, the same as for no blob at all', async () => {
    const id = await upload(alice, randomChunks(2))
    const forged: Holder = { conv: alice.conv, epoch: alice.epoch, cap: bob.cap }
    for (const [method, target] of [['GET', blobPaths.status(id)], ['GET', blobPaths.data(id)], ['DELETE', blobPaths.remove(id)], ['POST', blobPaths.create(blobIdOf(randomBytes(16)), 2)]] as const) {
      expect((await blobCall(url, forged, method, target)).json?.code, `${method} ${target}`).toBe('B403_DENIED')
    }
    const headers = await signedHeaders(alice, 'GET', blobPaths.status(id))
    const badProof = headers.authorization!.replace(/proof=.*$/, `proof=${Buffer.from(randomBytes(64)).toString('base64url')}`)
    expect((await httpRequest(url, 'GET', blobPaths.status(id), { headers: { authorization: badProof } })).json?.code).toBe('B403_DENIED')
    const elsewhere = await blobCall(url, bob, 'GET', blobPaths.status(id))
    const nowhere = await blobCall(url, bob, 'GET', blobPaths.status(blobIdOf(randomBytes(16))))
    expect([elsewhere.status, elsewhere.json?.code]).toEqual([404, 'B404_NOT_FOUND'])
    expect(elsewhere.body.equals(nowhere.body)).toBe(true)
    expect((await blobCall(url, bob, 'GET', blobPaths.data(id))).json?.code).toBe('B404_NOT_FOUND')
    expect((await blobCall(url, bob, 'DELETE', blobPaths.remove(id))).json?.code).toBe('B404_NOT_FOUND')
    expect((await blobCall(url, alice, 'GET', blobPaths.status(id))).json?.complete).toBe(true)
  })

  test('[B3] a proof is bound to its method and target: replayed to another blob, another method or another query it is B403_DENIED', async () => {
    const id = await upload(alice, randomChunks(2))
    const other = await upload(alice, randomChunks(2))
    const headers = await signedHeaders(alice, 'GET', blobPaths.status(id))
    expect((await httpRequest(url, 'GET', blobPaths.status(id), { headers })).status).toBe(200)
    expect((await httpRequest(url, 'GET', blobPaths.status(other), { headers })).json?.code).toBe('B403_DENIED')
    expect((await httpRequest(url, 'DELETE', blobPaths.remove(id), { headers })).json?.code).toBe('B403_DENIED')
    expect((await httpRequest(url, 'GET', blobPaths.data(id), { headers })).json?.code).toBe('B403_DENIED')
    const fresh = blobIdOf(randomBytes(16))
    const create = await signedHeaders(alice, 'POST', blobPaths.create(fresh, 2))
    expect((await httpRequest(url, 'POST', blobPaths.create(fresh, 4), { headers: create })).json?.code).toBe('B403_DENIED')
  })

  test('[B3] a removed member: after a real rekey, the old epoch\'s capability is refused for every blob of the conversation, old or new; the new one reaches the old blobs', async () => {
    const room = await LiveRoom.open(`${url.replace('http', 'ws')}/sync`)
    try {
      const before = await upload(room, randomChunks(2))
      const eve = room.holder // the removed member keeps epoch 0's capability
      await room.rekey()
      const after = await upload(room, randomChunks(2))
      for (const id of [before, after]) {
        for (const [method, target] of [['GET', blobPaths.status(id)], ['GET', blobPaths.data(id)], ['HEAD', blobPaths.data(id)], ['DELETE', blobPaths.remove(id)]] as const) {
          const refused = await blobCall(url, eve, method, target)
          expect(refused.status, `${method} ${target}`).toBe(403)
          if (method !== 'HEAD') expect(refused.json?.code).toBe('B403_DENIED')
        }
      }
      expect((await blobCall(url, eve, 'POST', blobPaths.create(blobIdOf(randomBytes(16)), 2))).json?.code).toBe('B403_DENIED')
      expect((await blobCall(url, eve, 'PUT', blobPaths.put(after, 0), { body: randomBytes(C) })).json?.code).toBe('B403_DENIED')
      expect((await blobCall(url, room, 'GET', blobPaths.status(before))).json).toEqual({ chunks: 2, stored: 2, complete: true })
      expect((await blobCall(url, room, 'GET', blobPaths.data(before))).status).toBe(200)
    } finally {
      room.close()
    }
  })

  test('[B3] a clock 6 minutes off is B401_CLOCK with the server\'s time; signed again with it, the request goes through', async () => {
    const id = await upload(alice, randomChunks(1))
    for (const skew of [-360_000, 360_000]) {
      const off = await blobCall(url, alice, 'GET', blobPaths.status(id), { time: Date.now() + skew })
      const error = parseBlobError(off.json)
      expect([off.status, error?.code]).toEqual([401, 'B401_CLOCK'])
      expect(Math.abs(error!.serverTime! - Date.now())).toBeLessThan(60_000)
      expect((await blobCall(url, alice, 'GET', blobPaths.status(id), { time: error!.serverTime! })).status).toBe(200)
    }
    expect((await blobCall(url, alice, 'GET', blobPaths.status(id), { time: Date.now() - 240_000 })).status).toBe(200)
  })

  test('[B3] no authorization, or a malformed one, is B401_AUTH_MISSING', async () => {
    const id = blobIdOf(randomBytes(16))
    const good = (await signedHeaders(alice, 'GET', blobPaths.status(id))).authorization!
    for (const authorization of [undefined, '', 'Bearer x', good.replace('epoch=0', 'epoch=00'), `${good},x=1`, good.replace('FCBlob ', 'FCBlob  ')]) {
      const answer = await httpRequest(url, 'GET', blobPaths.status(id), { headers: authorization === undefined ? {} : { authorization } })
      expect([answer.status, answer.json?.code], String(authorization)).toEqual([401, 'B401_AUTH_MISSING'])
    }
  })
})

describe('[B3][B5] shapes judged before anything is read', () => {
  test('[B2] an unpadded count or 0 is B400_NOT_PADDED, a count beyond BLOB_MAX_CHUNKS is B413_TOO_LARGE — even before the authorization is looked at', async () => {
    const id = blobIdOf(randomBytes(16))
    for (const [chunks, status, code] of [[9, 400, 'B400_NOT_PADDED'], [0, 400, 'B400_NOT_PADDED'], [33, 400, 'B400_NOT_PADDED'], [BLOB_MAX_CHUNKS + 2048, 413, 'B413_TOO_LARGE']] as const) {
      const answer = await httpRequest(url, 'POST', blobPaths.create(id, chunks))
      expect([answer.status, answer.json?.code], String(chunks)).toEqual([status, code])
    }
    expect((await blobCall(url, alice, 'POST', blobPaths.create(id, 10))).status).toBe(201)
  })

  test('[B3] any other target or method is B400_BAD_REQUEST: one spelling per request', async () => {
    const id = blobIdOf(randomBytes(16))
    const targets: [string, string][] = [
      ['GET', '/v1/blobs'], ['GET', '/v1/blobs/'], ['GET', `/v1/blobs/${id}/`], ['GET', `/v1/blobs/${id}?x=1`], ['GET', `/v1/blobs/${id.slice(1)}`],
      ['GET', `/v1/blobs/${id.slice(0, -1)}x`], ['GET', `/v1/blobs/%2e%2e/${id}`], ['GET', `/v1/blobs/./${id}`], ['GET', `/v1/blobs/${id}/data?x`],
      ['POST', `/v1/blobs/${id}?chunks=08`], ['POST', `/v1/blobs/${id}?chunks=8&x=1`], ['POST', `/v1/blobs/${id}`], ['PUT', `/v1/blobs/${id}/chunks/01`],
      ['PUT', `/v1/blobs/${id}`], ['PATCH', `/v1/blobs/${id}`], ['DELETE', `/v1/blobs/${id}/data`], ['POST', `/v1/blobs/${id}/data`], ['GET', '/v1/blobs?chunks=1'],
    ]
    for (const [method, target] of targets) {
      const answer = await blobCall(url, alice, method, target)
      expect([answer.status, answer.json?.code], `${method} ${target}`).toEqual([400, 'B400_BAD_REQUEST'])
    }
  })

  test('[B5] a PUT needs an exact content-length of 1 to 128 whole chunks within the blob: else B400_BAD_LENGTH or B413_TOO_LARGE, and nothing is stored', async () => {
    const id = blobIdOf(randomBytes(16))
    await blobCall(url, alice, 'POST', blobPaths.create(id, 2))
    const target = blobPaths.put(id, 0)
    const cases: [Record<string, string>, Uint8Array | undefined, number, string][] = [
      [{}, undefined, 400, 'B400_BAD_LENGTH'],
      [{ 'content-length': '0' }, undefined, 400, 'B400_BAD_LENGTH'],
      [{ 'content-length': String(C + 1) }, randomBytes(C + 1), 400, 'B400_BAD_LENGTH'],
      [{ 'transfer-encoding': 'chunked' }, randomBytes(C), 400, 'B400_BAD_LENGTH'],
      [{ 'content-length': String((BLOB_MAX_CHUNKS_PER_PUT + 1) * C) }, undefined, 413, 'B413_TOO_LARGE'],
      [{ 'content-length': String(3 * C) }, randomBytes(3 * C), 400, 'B400_BAD_LENGTH'], // beyond the blob's 2 chunks
    ]
    for (const [extra, body, status, code] of cases) {
      const headers = { ...(await signedHeaders(alice, 'PUT', target)), ...extra }
      const answer = await httpRequest(url, 'PUT', target, { headers, ...(body ? { body } : {}) })
      expect([answer.status, answer.json?.code], JSON.stringify(extra)).toEqual([status, code])
    }
    expect((await blobCall(url, alice, 'GET', blobPaths.status(id))).json).toEqual({ chunks: 2, stored: 0, complete: false })
  })
})

describe('[B11] answers and logs', () => {
  test('[B12] every answer is no-store and nosniff; an error body is { code, message } with the catalogue\'s remote text', async () => {
    const answer = await blobCall(url, alice, 'GET', blobPaths.status(blobIdOf(randomBytes(16))))
    expect(answer.headers['cache-control']).toBe('no-store')
    expect(answer.headers['x-content-type-options']).toBe('nosniff')
    expect(answer.headers['content-type']).toBe('application/json')
    expect(answer.json).toEqual({ code: 'B404_NOT_FOUND', message: 'No such blob in this conversation.' })
    expect(parseBlobError(answer.json)?.code).toBe('B404_NOT_FOUND')
  })

  test('[B11] log lines name the route, status and code only: no blob id, conversation id or client address', () => {
    const text = lines.join('\n')
    expect(text).toContain('"blob":"put"')
    expect(text).toContain('"code":"B403_DENIED"')
    for (const secret of secrets) expect(text.includes(secret), `${secret} in ${text.split('\n').find((l) => l.includes(secret))}`).toBe(false)
    const blobLines = lines.filter((l) => l.includes('blob request'))
    expect(blobLines.length).toBeGreaterThan(50)
    for (const line of blobLines) {
      expect(line).not.toContain('127.0.0.1')
      const fields = Object.keys(JSON.parse(line)).filter((k) => !['level', 'time', 'pid', 'hostname', 'msg'].includes(k))
      expect(fields.every((k) => ['blob', 'status', 'code'].includes(k)), line).toBe(true)
    }
  })
})
