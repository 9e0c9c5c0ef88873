import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { lastJson } from './child.js'
import { twoDevices } from './devices.js'
import { vmHwmMb, type CpuMs } from './rss.js'
import { startSyncServer } from './syncServer.js'
import { sha256OfFile } from './testFile.js'

export interface OursResult {
  /** send-file's spawn to get-file's exit: seal + upload + message delivery + download + verify. */
  readonly ms: number
  /** The send-file process, spawn to exit: start, seal (hash and tags), upload sealed again from the file, message written and delivered. */
  readonly sealUploadMs: number
  /** Within it: spawn to its first stdout line (since 2026-12-06 the first `preparing` progress: process start, store open, sync; before, the first PUT answered after sealing). */
  readonly firstProgressMs: number
  /** The get-file process, spawn to exit: start, sync, fetch, open, hash, write and fsync, rename. */
  readonly downloadMs: number
  readonly peakRssMb: { readonly sender: number; readonly server: number; readonly receiver: number }
  /** CPU time of each CLI process (the server runs on: its share is not measured here). */
  readonly cpuMs: { readonly sender?: CpuMs; readonly receiver?: CpuMs }
}

const TIMEOUT_SECONDS = '3600'
/** send-file prints a line per PUT, get-file one per chunk: this long without one is a stuck transfer. */
const STALL_MS = 120_000

/**
 * One size through FieldChat: a fresh sync server (SQLite, blobs on disk in its data folder),
 * two fresh CLI homes in one conversation (not timed), then `send-file` on the sender and, when
 * it has exited, `get-file` on the receiver. The received file's SHA-256 must be the source's.
 * `cpuProfDir`: both CLI processes and the server write V8 CPU profiles there.
 */
export async function measureOurs(cliJs: string, source: string, sha256: string, work: string, cpuProfDir?: string): Promise<OursResult> {
  const dir = join(work, 'ours')
  mkdirSync(dir)
  const prof = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : []
  const server = await startSyncServer(join(dir, 'server'), prof)
  try {
    const { sender, receiver, conv } = await twoDevices(cliJs, dir, server.url)
    const started = performance.now()
    const sent = await sender.run(['--timeout', TIMEOUT_SECONDS, 'send-file', conv, source], { execArgv: prof, stallMs: STALL_MS })
    // BENCH_FILES_TIMELINE=1: when each progress line of send-file came (stderr, not the JSON).
    if (process.env.BENCH_FILES_TIMELINE) for (const l of sent.lines) console.error(`${Math.round(l.atMs)} ${l.text.slice(0, 120)}`)
    const { files } = lastJson<{ files: { file: string; size: number; sha256: string }[] }>(sent, 'send-file')
    const file = files[0]
    if (!file || file.sha256 !== sha256) throw new Error(`send-file named another content hash: ${JSON.stringify(files)}`)
    const out = join(dir, 'received.bin')
    const got = await receiver.run(['--timeout', TIMEOUT_SECONDS, 'get-file', conv, file.file, '--out', out], { execArgv: prof, stallMs: STALL_MS })
    if (process.env.BENCH_FILES_TIMELINE) for (const l of got.lines.filter((_, i, a) => i % 8 === 0 || i > a.length - 4)) console.error(`get ${Math.round(l.atMs)} ${l.text.slice(0, 120)}`)
    lastJson(got, 'get-file')
    const ms = performance.now() - started
    const serverPeak = vmHwmMb(server.pid) ?? 0
    // The CLI checked it; the bench checks again, with its own hash of the file on disk.
    if ((await sha256OfFile(out)) !== sha256) throw new Error('the received file is not the one sent')
    return {
      ms,
      sealUploadMs: sent.ms,
      firstProgressMs: sent.firstLineAtMs,
      downloadMs: got.ms,
      peakRssMb: { sender: sent.peakRssMb, server: serverPeak, receiver: got.peakRssMb },
      cpuMs: { ...(sent.cpuMs ? { sender: sent.cpuMs } : {}), ...(got.cpuMs ? { receiver: got.cpuMs } : {}) },
    }
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- the server's log, last lines:\n${server.log().split('\n').slice(-30).join('\n')}`)
  } finally {
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
