import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { CLAMD_CHUNK_BYTES, DEBIAN_CLAMD_SOCKET, clamdPing, clamdScan, parseByteCount, parseClamdAddress, parseScanReply } from '../../../client/node/clamd.js'
import { describeClamd, hashSignature, startClamd, type Clamd } from './scanner.helpers.js'
import { eicar, zipOf } from './fixtures.js'

/** [A4] The clamd client: against a real clamd (Debian's) with a signature database the test writes. */
const own = new Uint8Array(randomBytes(3000))
const LIMIT = 1024 * 1024

async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size)
}

describeClamd('[A4] clamd over its socket', () => {
  let clamd: Clamd
  beforeAll(async () => {
    clamd = await startClamd([hashSignature(eicar(), 'Eicar-Test-Signature'), hashSignature(own, 'FieldChat-Test-Own')], LIMIT)
  }, 90_000)
  afterAll(async () => clamd?.stop())

  test('[A4] PING is answered; clean content is clean', async () => {
    await clamdPing(clamd.address)
    expect(await clamdScan(clamd.address, pieces(new TextEncoder().encode('a clean report\n'.repeat(500)), 1000))).toEqual({ kind: 'clean' })
  })

  test('[A4] EICAR and the test\'s own signature are found by name (ClamAV\'s .UNOFFICIAL tag dropped), also inside a zip', async () => {
    expect(await clamdScan(clamd.address, pieces(eicar(), 68))).toEqual({ kind: 'infected', name: 'Eicar-Test-Signature' })
    expect(await clamdScan(clamd.address, pieces(own, 7))).toEqual({ kind: 'infected', name: 'FieldChat-Test-Own' })
    const zip = await zipOf({ 'readme.txt': 'nothing to see', 'tools/eicar.com': eicar() })
    expect(await clamdScan(clamd.address, pieces(zip, 100))).toEqual({ kind: 'infected', name: 'Eicar-Test-Signature' })
  })

  test('[A4] large pieces go in chunks of at most 64 KiB: a file just under StreamMaxLength is scanned (the signature at its end is found)', async () => {
    const big = new Uint8Array(LIMIT - 4096)
    const marker = new Uint8Array(randomBytes(2048))
    big.set(marker, big.length - marker.length)
    expect(await clamdScan(clamd.address, pieces(big, 5 * CLAMD_CHUNK_BYTES + 3))).toEqual({ kind: 'clean' })
  })

  test('[A4] a stream over StreamMaxLength is "too large", never clean: when clamd closes before its reply could be read, a coded error (the scanner tries again)', async () => {
    const over = new Uint8Array(randomBytes(3 * LIMIT))
    const seen: string[] = []
    for (let i = 0; i < 20; i++) seen.push(await clamdScan(clamd.address, pieces(over, 256 * 1024)).then((r) => r.kind, (err: { code: string }) => err.code))
    expect(seen.filter((k) => k !== 'too-large' && k !== 'V102_CLAMD_REPLY')).toEqual([])
    expect(seen).toContain('too-large')
  })

  test('[A4] nothing listening at the address is V100_CLAMD_UNAVAILABLE (try again later), for PING and for a scan', async () => {
    const nowhere = { path: join(clamd.dir, 'nobody-listens.sock') }
    await expect(clamdPing(nowhere)).rejects.toMatchObject({ code: 'V100_CLAMD_UNAVAILABLE' })
    await expect(clamdScan(nowhere, pieces(eicar(), 68))).rejects.toMatchObject({ code: 'V100_CLAMD_UNAVAILABLE' })
    await expect(clamdPing({ host: '127.0.0.1', port: 9 })).rejects.toMatchObject({ code: 'V100_CLAMD_UNAVAILABLE' })
  })
})

describe('[A4] clamd\'s replies and addresses are parsed, never trusted', () => {
  test('[A4] OK, FOUND, the size limit and the limits heuristic; anything else is a coded error, not clean', () => {
    expect(parseScanReply('stream: OK')).toEqual({ kind: 'clean' })
    expect(parseScanReply('stream: Win.Test.EICAR_HDB-1 FOUND')).toEqual({ kind: 'infected', name: 'Win.Test.EICAR_HDB-1' })
    expect(parseScanReply('INSTREAM size limit exceeded. ERROR').kind).toBe('too-large')
    expect(parseScanReply('stream: Heuristics.Limits.Exceeded.MaxFileSize FOUND').kind).toBe('too-large')
    expect(() => parseScanReply('Can\'t allocate memory ERROR')).toThrow(expect.objectContaining({ code: 'V101_CLAMD_FAILED' }))
    for (const reply of ['', 'stream: ok', 'OK', 'stream: FOUND', 'stream: a\u0007b FOUND', `stream: ${'x'.repeat(300)} FOUND`]) {
      expect(() => parseScanReply(reply), reply).toThrow(expect.objectContaining({ code: 'V102_CLAMD_REPLY' }))
    }
  })

  test('[A4] --clamd-socket PATH, --clamd HOST:PORT, Debian\'s socket by default; both, or a bad port, is refused', () => {
    expect(parseClamdAddress({})).toEqual({ path: DEBIAN_CLAMD_SOCKET })
    expect(parseClamdAddress({ socket: '/run/clamd.sock' })).toEqual({ path: '/run/clamd.sock' })
    expect(parseClamdAddress({ tcp: 'scanner.lan:3310' })).toEqual({ host: 'scanner.lan', port: 3310 })
    expect(parseClamdAddress({ tcp: '[::1]:3310' })).toEqual({ host: '::1', port: 3310 })
    for (const bad of [{ socket: '/a', tcp: 'h:1' }, { tcp: 'host' }, { tcp: 'host:0' }, { tcp: 'host:70000' }, { socket: '' }]) expect(parseClamdAddress(bad), JSON.stringify(bad)).toBeUndefined()
  })

  test('[A4] --clamd-max-stream reads byte counts as clamd.conf writes them; anything else is refused', () => {
    expect(parseByteCount('1048576')).toBe(1048576)
    expect(parseByteCount('25M')).toBe(25 * 1024 * 1024)
    expect(parseByteCount('512k')).toBe(512 * 1024)
    expect(parseByteCount('1G')).toBe(1024 ** 3)
    for (const bad of ['', '0', '-5', '1.5M', '25MB', 'M', '1T', '99999999999999G']) expect(parseByteCount(bad), bad).toBeUndefined()
  })
})
