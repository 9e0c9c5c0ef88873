import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { describe, test } from 'vitest'
import { clamdPing, type ClamdAddress } from '../../../client/node/clamd.js'

/**
 * ClamAV's clamd for the scanner's tests: Debian's binary run in the foreground from a config
 * and a signature database the test writes itself (its signature download cannot reach the
 * internet here). Absent: the suites declared with {@link describeClamd} are skipped with one
 * line; with FIELDCHAT_REQUIRE_CLAMD=1 (CI) they fail instead.
 */
export const clamdBinary: string | undefined = ['/usr/sbin', '/usr/local/sbin', ...(process.env.PATH ?? '').split(delimiter)]
  .map((dir) => join(dir, 'clamd'))
  .find((path) => existsSync(path))

export function describeClamd(name: string, body: () => void): void {
  if (clamdBinary) describe(name, body)
  else if (process.env.FIELDCHAT_REQUIRE_CLAMD === '1') {
    describe(name, () => test('clamd is required (FIELDCHAT_REQUIRE_CLAMD=1)', () => {
      throw new Error('clamd is not installed (apt-get install clamav clamav-daemon), and FIELDCHAT_REQUIRE_CLAMD=1')
    }))
  } else {
    announceSkip()
    describe.skip(name, body)
  }
}

let announced = false
function announceSkip(): void {
  if (announced) return
  announced = true
  try {
    closeSync(openSync(join(tmpdir(), `fieldchat-clamd-skipped-${process.ppid}`), 'wx'))
  } catch {
    return // another test file of this run said it already
  }
  console.warn('clamd not installed: skipped the organisation scanner suites (FIELDCHAT_REQUIRE_CLAMD=1 makes them fail instead)')
}

/** A hash signature line (`.hdb`): clamd reports `name` for a file of exactly these bytes, alone or inside an archive. */
export const hashSignature = (bytes: Uint8Array, name: string): string => `${createHash('md5').update(bytes).digest('hex')}:${bytes.length}:${name}`

export interface Clamd {
  readonly address: ClamdAddress
  readonly dir: string
  /** clamd's log, for a failing test's message. */
  log(): string
  stop(): Promise<void>
}

/**
 * A clamd of the test's own: a Unix socket in a temp folder, `signatures` as its only database,
 * streams up to `streamMaxBytes` (and files and scans of that size; past it, not scanned).
 */
export async function startClamd(signatures: readonly string[], streamMaxBytes = 1024 * 1024): Promise<Clamd> {
  const dir = mkdtempSync(join(tmpdir(), 'fieldchat-clamd-'))
  mkdirSync(join(dir, 'db'))
  writeFileSync(join(dir, 'db', 'fieldchat-test.hdb'), `${signatures.join('\n')}\n`)
  const socket = join(dir, 'clamd.sock')
  const config = join(dir, 'clamd.conf')
  const kb = Math.ceil(streamMaxBytes / 1024)
  writeFileSync(config, [
    `LocalSocket ${socket}`,
    `DatabaseDirectory ${join(dir, 'db')}`,
    `TemporaryDirectory ${dir}`,
    `LogFile ${join(dir, 'clamd.log')}`,
    `PidFile ${join(dir, 'clamd.pid')}`,
    'Foreground yes',
    `StreamMaxLength ${kb}K`,
    `MaxFileSize ${kb}K`,
    `MaxScanSize ${kb}K`,
    // A file past a limit is then reported (Heuristics.Limits.Exceeded), never passed as clean.
    'AlertExceedsMax yes',
    // No `User`: clamd keeps the test's own user (root on CI), which owns the folder.
  ].join('\n') + '\n')
  const child: ChildProcess = spawn(clamdBinary!, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  const log = () => `${stderr}${existsSync(join(dir, 'clamd.log')) ? readFileSync(join(dir, 'clamd.log'), 'utf8') : ''}`
  const address = { path: socket }
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`clamd exited (${child.exitCode}):\n${log()}`)
    if (await clamdPing(address, 2000).then(() => true, () => false)) break
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`clamd did not answer within 60 s:\n${log()}`)
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  return {
    address,
    dir,
    log,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      await exited
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
