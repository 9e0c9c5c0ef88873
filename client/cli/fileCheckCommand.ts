import { existsSync } from 'node:fs'
import { open, stat, type FileHandle } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { contentHasher, toHex } from '../../crypto/index.js'
import { checkFile, type FilePolicy, type FileSource, type FileVerdict } from '../core/files/check/index.js'
import { Messenger } from '../core/messenger.js'
import { AT_REST_META, openAtRest } from '../core/storage/atRest.js'
import { cliAtRestSecret } from '../node/atRestKey.js'
import { nodeSocket } from '../node/socket.js'
import { openSqliteLocalStore } from '../node/sqliteStore.js'
import { arg } from './context.js'
import { CliError, CliErrorCode, usageError } from './errors.js'
import { result, type Result } from './output.js'
import { resolveOrg } from './resolve.js'

/** The options `check-file` reads (parsed in main.ts). */
export interface CheckFileOptions {
  readonly home?: string | undefined
  readonly server?: string | undefined
  readonly 'key-file'?: string | undefined
  /** The name the file would be sent under (default: its own). */
  readonly name?: string | undefined
  /** The MIME type it would be declared as. */
  readonly type?: string | undefined
  readonly org?: string | undefined
}

/** A file on disk as a {@link FileSource}: each read is one positioned read of the handle. */
export function fileHandleSource(handle: FileHandle, size: number): FileSource {
  return {
    size,
    async read(offset, length) {
      const buf = new Uint8Array(Math.max(0, Math.min(length, size - offset)))
      let filled = 0
      while (filled < buf.length) {
        const { bytesRead } = await handle.read(buf, filled, buf.length - filled, offset + filled)
        if (!bytesRead) break
        filled += bytesRead
      }
      return buf.subarray(0, filled)
    },
  }
}

const HASH_PIECE = 1024 * 1024

/** The plain SHA-256 of the whole content (crypto [F5]), in reads of 1 MiB: memory stays flat. */
export async function sha256Of(source: FileSource): Promise<string> {
  const h = contentHasher()
  for (let at = 0; at < source.size; ) {
    const piece = await source.read(at, HASH_PIECE)
    if (!piece.length) throw new Error('the file got shorter while it was read')
    h.update(piece)
    at += piece.length
  }
  return toHex(h.digest())
}

/**
 * `check-file PATH [--name N] [--type MIME] [--org ORG]` (client [H1]–[H8]): the file's verdict
 * from its content, name and type, and the organisation's file policy. Without `--org`, the
 * policy of the one organisation this device is in, if it is in exactly one. It works without a
 * server, and without a device at all when no organisation is involved: this device's store is
 * opened (as every command opens it) only to read the policy, and never created. Exit code 1
 * unless `ok` (as `check-link`).
 */
export async function checkFileCommand(args: readonly string[], options: CheckFileOptions): Promise<Result> {
  const path = arg(args, 0, 'PATH')
  if (args.length > 1) throw usageError('check-file takes one PATH')
  const info = await stat(path).catch(() => {
    throw usageError(`cannot read ${path}`)
  })
  if (!info.isFile()) throw usageError(`not a file: ${path}`)
  const org = await orgFilePolicy(options)
  const handle = await open(path, 'r')
  try {
    const source = fileHandleSource(handle, info.size)
    const sha256 = await sha256Of(source)
    const verdict = await checkFile(source, { name: options.name ?? basename(path), ...(options.type ? { type: options.type } : {}) }, sha256, org?.files)
    const data = { ...verdict, ...(org ? { org: { id: org.org, name: org.name } } : {}) }
    return result(describe(verdict, org), data, verdict.level === 'ok' ? undefined : 1)
  } finally {
    await handle.close()
  }
}

interface OrgFiles { readonly org: string; readonly name: string; readonly files?: FilePolicy }

/** The organisation whose file policy applies, read from this device's store; undefined when none is involved. */
async function orgFilePolicy(options: CheckFileOptions): Promise<OrgFiles | undefined> {
  const home = resolve(options.home ?? process.env.FIELDCHAT_HOME ?? '.fieldchat')
  const noDevice = () => new CliError(CliErrorCode.NO_IDENTITY, 'no identity on this device yet: --org needs a device that is in the organisation')
  const file = join(home, 'device.sqlite')
  if (!existsSync(file)) {
    if (options.org) throw noDevice()
    return undefined
  }
  const sqlite = openSqliteLocalStore(file)
  const encrypted = (await sqlite.get(AT_REST_META)) !== undefined
  const store = await openAtRest(sqlite, cliAtRestSecret(join(home, 'device.key'), options['key-file'], encrypted)).catch(async (err: unknown) => {
    await sqlite.close()
    throw err
  })
  const server = options.server ?? process.env.FIELDCHAT_SERVER ?? 'ws://127.0.0.1:8787/sync'
  const messenger = await Messenger.open({ store, url: server, socket: nodeSocket }).catch(async (err: unknown) => {
    await store.close()
    throw err
  })
  try {
    if (!messenger.identity) {
      if (options.org) throw noDevice()
      return undefined
    }
    const team = messenger.team
    let ref
    if (options.org) ref = resolveOrg(team, options.org)
    else {
      const orgs = team.orgs().filter((o) => !o.conversation)
      if (orgs.length > 1) throw usageError(`this device is in ${orgs.length} organisations (${orgs.map((o) => o.name).join(', ')}): name one with --org`)
      ref = orgs[0]
    }
    if (!ref) return undefined
    const files = team.policy(ref.org).files
    return { org: ref.org, name: ref.name, ...(files ? { files } : {}) }
  } finally {
    await messenger.stop().catch(() => undefined)
    await store.close().catch(() => undefined)
  }
}

const VERDICT_WORDS = { ok: 'ok', warn: 'warn: confirm before sending or opening', block: 'block: not to be sent or opened' } as const

function describe(v: FileVerdict, org: OrgFiles | undefined): string {
  const content = v.realType ? `${v.realType.ext} (${v.realType.mime})` : 'not recognised'
  return [
    `${v.name}: ${VERDICT_WORDS[v.level]}`,
    ...v.reasons.map((r) => `  ${r.code}  ${r.text}`),
    `content: ${content}; ${v.size.toLocaleString('en')} bytes; sha256 ${v.sha256}`,
    org ? `policy: ${org.name} (${org.org})${org.files ? '' : ', no file rules set'}` : 'policy: none (no organisation)',
  ].join('\n')
}
