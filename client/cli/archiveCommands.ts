import { randomBytes } from 'node:crypto'
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { exportArchive, MIN_ARCHIVE_PASSPHRASE } from '../core/archive/exportArchive.js'
import { openArchive, type ArchiveView, type ArchivedMessage } from '../core/archive/openArchive.js'
import { ARCHIVE_LIMITS } from '../core/archive/schema.js'
import { ClientError, ClientErrorCode } from '../core/errors.js'
import { parseConvId, type ConvId } from '../../protocol/index.js'
import { arg, type Command } from './context.js'
import { usageError } from './errors.js'
import { count, iso, result, type Result } from './output.js'

/**
 * [M31] Export archives from the CLI. The passphrase comes from the environment only
 * (FIELDCHAT_EXPORT_PASSPHRASE), never a flag: a flag's value lands in shell history and in
 * every process listing.
 */
export const EXPORT_PASSPHRASE_ENV = 'FIELDCHAT_EXPORT_PASSPHRASE'

function passphrase(minimum: number): string {
  const value = process.env[EXPORT_PASSPHRASE_ENV]
  if (!value) throw usageError(`set ${EXPORT_PASSPHRASE_ENV} (environment only) to the archive's passphrase`)
  if ([...value].length < minimum) throw usageError(`${EXPORT_PASSPHRASE_ENV} must have at least ${minimum} characters`)
  return value
}

function convIds(args: readonly string[]): ConvId[] | undefined {
  if (!args.length) return undefined
  return args.map((a) => parseConvId(a) ?? fail(`not a conversation id: ${a}`))
}

const fail = (message: string): never => {
  throw usageError(message)
}

/** Commands that run on the device's store (dispatched with the conversation commands). */
export const archiveCommands: Record<string, Command> = {
  /**
   * `export [CONV...] --out FILE`: the conversations (all of them when none is named) to an
   * archive sealed under the passphrase; M510 when an organisation's policy forbids it.
   */
  async export(cli, args) {
    const out = cli.options.out ?? fail('export needs --out FILE')
    const secret = passphrase(MIN_ARCHIVE_PASSPHRASE)
    const convs = convIds(args)
    cli.identity()
    const exported = await exportArchive(cli.messenger, { passphrase: secret, ...(convs ? { convs } : {}) })
    await writeWhole(out, exported.bytes)
    const messages = exported.conversations.reduce((n, c) => n + c.messages, 0)
    const human = `exported ${count(exported.conversations.length, 'conversation')} (${count(messages, 'message')}) to ${out}`
    return result(human, { file: out, bytes: exported.bytes.length, conversations: exported.conversations })
  },
}

/**
 * [M31] `open-archive FILE`: reads a file, never this device's store, so main.ts runs it before
 * the store is opened (it works in an empty home, or with a store locked under another key).
 */
export function storelessCommand(positionals: readonly string[]): (() => Promise<Result>) | undefined {
  const [name, ...args] = positionals
  if (name !== 'open-archive') return undefined
  return async () => {
    const file = arg(args, 0, 'FILE')
    if (args.length > 1) throw usageError('open-archive takes one FILE')
    const secret = passphrase(1)
    const view = await openArchive(await readBounded(file), secret)
    return result(describeArchive(view), view)
  }
}

/** The file's bytes; one above the archive bound is refused before it is read ([M31]). */
async function readBounded(file: string): Promise<Uint8Array> {
  const info = await stat(file).catch(() => fail(`cannot read ${file}`))
  if (!info.isFile()) throw usageError(`not a file: ${file}`)
  if (info.size > ARCHIVE_LIMITS.maxBytes) throw new ClientError(ClientErrorCode.ARCHIVE_DAMAGED, `larger than ${ARCHIVE_LIMITS.maxBytes / 1024 / 1024} MiB`)
  const bytes = await readFile(file)
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** Written beside its place, then renamed over it: a reader never finds half an archive. */
async function writeWhole(file: string, bytes: Uint8Array): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    await writeFile(temp, bytes, { flag: 'wx', mode: 0o600 })
    await rename(temp, file)
  } catch (err) {
    await rm(temp, { force: true })
    throw err
  }
}

function describeArchive(view: ArchiveView): string {
  const head = `archive exported ${iso(view.exportedAt)} by ${view.by.name} (device ${view.by.device}); ${count(view.conversations.length, 'conversation')}`
  const convs = view.conversations.map((c) => {
    const where = c.org && c.kind === 'group' ? `group of ${c.org.name}` : c.kind
    return [`\n== ${c.title} (${where}, ${c.id}) ==`, ...c.messages.map(line)].join('\n')
  })
  return [head, ...convs].join('\n')
}

const line = (m: ArchivedMessage): string =>
  `${iso(m.ts)} ${m.authorName}${m.hidden ? ' (hidden: not a member device of its epoch)' : ''}${m.pending ? ' (not delivered)' : ''}: ${m.text}`
