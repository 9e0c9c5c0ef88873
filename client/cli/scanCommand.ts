import { createReadStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import type { ConvId } from '../../protocol/index.js'
import { ClientError, ClientErrorCode } from '../core/errors.js'
import type { FileRef, ScanVerdict } from '../core/messenger.js'
import { verdictText } from '../core/scanner/verdict.js'
import { CLAMD_CHUNK_BYTES, ClamdError, ClamdErrorCode, clamdPing, clamdScan, describeAddress, type ClamdAddress, type ClamdResult } from '../node/clamd.js'
import { nodeFileSink } from '../node/files.js'
import type { Cli } from './context.js'
import { describeError } from './errors.js'
import { iso, printLine, result, type Result } from './output.js'

export interface ScanOptions {
  /** The device's home: downloads wait under `<home>/scan` while clamd reads them. */
  readonly home: string
  readonly clamd: ClamdAddress
  /**
   * clamd's StreamMaxLength: a longer file is "unscanned: too large" without being streamed.
   * Past its limit clamd replies and closes, and the reply is often lost to the reset of the
   * bytes still in flight (V102 on every try), so the scanner does not rely on it.
   */
  readonly maxStream: number
  /** Process what is there, then exit (scripts, tests); otherwise follow until SIGINT or SIGTERM. */
  readonly once: boolean
}

/**
 * clamd closes the connection once a stream passes its StreamMaxLength, and its reply can be lost
 * to a write already under way (V102): read from the file again, a few times, before that counts.
 */
async function scanOnDisk(clamd: ClamdAddress, path: string): Promise<ClamdResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await clamdScan(clamd, createReadStream(path, { highWaterMark: CLAMD_CHUNK_BYTES }))
    } catch (err) {
      if (!(err instanceof ClamdError) || err.code !== ClamdErrorCode.REPLY || attempt >= 3) throw err
    }
  }
}

/** [T22] The conversation's organisation names this device's person as its scanner. */
function isScannerIn(cli: Cli, conv: ConvId): boolean {
  const team = cli.team()
  const org = team.orgOf(conv)
  const me = team.userOfDevice(conv, cli.identity().deviceId)
  return !!org && !!me && team.policy(org).scanner === me
}

/** Tries of a file that clamd or the download fails on for another reason than clamd being down, before "unscanned". */
const MAX_TRIES = 3
const RETRY_MS = 30_000

/**
 * [A4] `scan`: this device as the organisation's scanner. For every file of the loaded messages
 * of every conversation of an organisation whose policy names this device's person as scanner
 * ([T22]; elsewhere its verdicts would count for nothing), without a verdict by this device: download it (streamed, checked
 * against its SHA-256) to a file under the home, stream it to clamd, post the verdict as a
 * message of this device, delete the file. clamd down: nothing is posted, the error is printed
 * and the file is tried again later. One line per verdict (JSON with --json) on stdout, errors on
 * stderr. `--once` exits 1 when files were left for later.
 */
export async function scanCommand(cli: Cli, opts: ScanOptions): Promise<Result | undefined> {
  cli.identity()
  const { messenger } = cli
  const json = cli.options.json
  const dir = join(opts.home, 'scan')
  // What a killed run left behind is not kept: it is fetched again.
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const opened = new Set<ConvId>()
  const tries = new Map<string, number>()
  let scanned = 0
  let stopping = false

  const printError = (err: unknown, about?: { conv: ConvId; ref: FileRef }) => {
    const e = err instanceof ClamdError ? { code: err.code, message: err.message } : describeError(err)
    const where = about ? { conv: about.conv, file: about.ref.blob, name: about.ref.name } : {}
    process.stderr.write(json ? `${JSON.stringify({ error: { code: e.code, message: e.message }, ...where })}\n` : `error: ${e.code}: ${e.message}${about ? ` (${about.ref.name}; tried again later)` : ''}\n`)
  }

  /** The verdict on one file; an error: try again later. */
  const scanFile = async (conv: ConvId, ref: FileRef): Promise<ScanVerdict> => {
    if (ref.size > opts.maxStream) return { blob: ref.blob, sha256: ref.sha256, result: 'unscanned', name: 'too large' }
    const sink = await nodeFileSink(join(dir, randomUUID()))
    try {
      await messenger.downloadFile(conv, ref, sink)
    } catch (err) {
      // Not the content the message named: nothing can be said of the file members would get.
      if (err instanceof ClientError && err.code === ClientErrorCode.FILE_DAMAGED) return { blob: ref.blob, sha256: ref.sha256, result: 'unscanned', name: 'damaged: not the content the message named' }
      throw err
    }
    try {
      const found = await scanOnDisk(opts.clamd, sink.partPath)
      const base = { blob: ref.blob, sha256: ref.sha256 }
      return found.kind === 'clean' ? { ...base, result: 'clean' } : found.kind === 'infected' ? { ...base, result: 'infected', name: found.name } : { ...base, result: 'unscanned', name: 'too large' }
    } finally {
      await rm(sink.partPath, { force: true })
    }
  }

  let named = true
  let clamdDown = false
  /** One pass over every conversation; returns how many files are left for later. */
  const pass = async (): Promise<number> => {
    const todo: { conv: ConvId; ref: FileRef }[] = []
    const mine = messenger.conversations().filter(({ conv }) => !messenger.accessLost(conv) && isScannerIn(cli, conv))
    // Said once: elsewhere verdicts of this device would count for nothing.
    if (!mine.length && named) process.stderr.write('note: no organisation of this device names its person as scanner (`org policy ORG scanner=USER`): nothing to scan\n')
    named = mine.length > 0
    for (const { conv } of mine) {
      if (!opened.has(conv)) {
        await messenger.openConversation(conv)
        opened.add(conv)
      }
      const done = new Set(messenger.postedVerdicts(conv).map((v) => `${v.blob}/${v.sha256}`))
      for (const ref of messenger.messages(conv).flatMap((m) => m.files ?? [])) {
        const key = `${ref.blob}/${ref.sha256}`
        if (done.has(key)) continue
        done.add(key)
        todo.push({ conv, ref })
      }
    }
    if (!todo.length) return 0
    try {
      await clamdPing(opts.clamd)
      clamdDown = false
    } catch (err) {
      printError(err)
      clamdDown = true
      return todo.length
    }
    let left = 0
    for (const [i, { conv, ref }] of todo.entries()) {
      if (stopping) return left + todo.length - i
      const key = `${ref.blob}/${ref.sha256}`
      let verdict: ScanVerdict
      try {
        verdict = await scanFile(conv, ref)
      } catch (err) {
        printError(err, { conv, ref })
        // clamd went away: the rest waits for it too.
        if (err instanceof ClamdError && err.code === ClamdErrorCode.UNAVAILABLE) {
          clamdDown = true
          return left + todo.length - i
        }
        const n = (tries.get(key) ?? 0) + 1
        tries.set(key, n)
        const code = err instanceof ClamdError ? err.code : describeError(err).code
        // Retried a few times (a cut link, a busy clamd); what keeps failing is said to be unscanned.
        if (n < MAX_TRIES || code === ClientErrorCode.FILE_ACCESS || code === ClientErrorCode.FILE_UNAVAILABLE) {
          left++
          continue
        }
        verdict = { blob: ref.blob, sha256: ref.sha256, result: 'unscanned', name: `scan failed (${code})` }
      }
      await messenger.postVerdicts(conv, [verdict])
      scanned++
      printLine(json, `${iso(Date.now())} ${ref.name} (${ref.blob}) in ${messenger.titleOf(conv)}: ${verdictText(verdict)}`, { conv, file: ref.blob, name: ref.name, sha256: ref.sha256, result: verdict.result, ...(verdict.name ? { detail: verdict.name } : {}) })
    }
    return left
  }

  if (opts.once) {
    await cli.connect()
    let left = await pass()
    // What failed for a moment (a download while a rotation settles) is tried once more, after a sync.
    if (left && !clamdDown) {
      await cli.delivered({ messages: true })
      left = await pass()
    }
    await cli.delivered({ messages: true })
    return result(`${scanned} file${scanned === 1 ? '' : 's'} scanned with clamd at ${describeAddress(opts.clamd)}${left ? `; ${left} left for later` : ''}`, { scanned, left }, left ? 1 : 0)
  }

  // Following: a pass whenever messages or conversations change, and again later while files wait.
  let running: Promise<void> | undefined
  let again = false
  let timer: NodeJS.Timeout | undefined
  const kick = (): void => {
    if (stopping) return
    if (running) return void (again = true)
    running = (async () => {
      do {
        again = false
        const left = await pass().catch((err: unknown) => (printError(err), 1))
        clearTimeout(timer)
        if (left && !stopping) timer = setTimeout(kick, RETRY_MS)
      } while (again && !stopping)
    })().finally(() => (running = undefined))
  }
  const offs = [messenger.events.on('messages', kick), messenger.events.on('conversations', kick)]
  const stop = new Promise<void>((r) => process.once('SIGINT', r).once('SIGTERM', r))
  await cli.connect().catch((err: unknown) => printError(err))
  kick()
  await stop
  stopping = true
  clearTimeout(timer)
  offs.forEach((off) => off())
  await running
  // Verdicts already written go out now if they can; otherwise with the next run.
  await cli.delivered({ messages: true }).catch((err: unknown) => printError(err))
  return undefined
}
