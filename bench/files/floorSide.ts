import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { lastJson, runChild, startChild } from './child.js'
import type { CpuMs } from './rss.js'
import { sha256OfFile } from './testFile.js'

export interface FloorResult {
  readonly ms: number
  readonly putMs: number
  readonly getMs: number
  readonly peakRssMb: { readonly put: number; readonly server: number; readonly get: number }
  /** CPU time of the PUT and GET processes. */
  readonly cpuMs: { readonly put?: CpuMs; readonly get?: CpuMs }
}

/**
 * One size through the floor (floor.ts): a fresh server process, then a PUT process, then a GET
 * process, each timed from spawn to exit; the time is PUT + GET. The bytes that come back are
 * checked against the source's SHA-256 (outside the timing).
 */
export async function measureFloor(floorJs: string, source: string, sha256: string, work: string): Promise<FloorResult> {
  const dir = join(work, 'floor-server')
  mkdirSync(dir)
  const out = join(work, 'floor-out.bin')
  const server = await startChild(floorJs, ['serve', dir])
  let serverPeak = 0
  try {
    const { port } = JSON.parse(server.firstLine) as { port: number }
    const url = `http://127.0.0.1:${port}/f/bench`
    const put = await runChild(floorJs, ['put', url, source])
    lastJson(put, 'floor PUT')
    const get = await runChild(floorJs, ['get', url, out])
    lastJson(get, 'floor GET')
    serverPeak = await server.stop()
    if ((await sha256OfFile(out)) !== sha256) throw new Error('the floor returned other bytes than it was given')
    return { ms: put.ms + get.ms, putMs: put.ms, getMs: get.ms, peakRssMb: { put: put.peakRssMb, server: serverPeak, get: get.peakRssMb }, cpuMs: { ...(put.cpuMs ? { put: put.cpuMs } : {}), ...(get.cpuMs ? { get: get.cpuMs } : {}) } }
  } finally {
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
    rmSync(out, { force: true })
  }
}
