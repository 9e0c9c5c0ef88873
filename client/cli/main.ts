import { parseArgs } from 'node:util'
import { join, resolve } from 'node:path'
import { Messenger } from '../core/messenger.js'
import { AT_REST_META, atRestInfo, openAtRest } from '../core/storage/atRest.js'
import { ClientError, ClientErrorCode } from '../core/errors.js'
import { cliAtRestSecret } from '../node/atRestKey.js'
import { openSqliteLocalStore } from '../node/sqliteStore.js'
import { nodeSocket } from '../node/socket.js'
import { makeCli, type Command, type Options } from './context.js'
import { convCommands } from './convCommands.js'
import { messageCommands } from './messageCommands.js'
import { timerCommands } from './timerCommand.js'
import { callsCommands } from './callsCommand.js'
import { fileCommands } from './fileCommands.js'
import { nodeSpool } from '../node/fileSpool.js'
import { nodeFileSource } from '../node/files.js'
import { nodeBlobFetch } from '../node/blobFetch.js'
import { archiveCommands, storelessCommand } from './archiveCommands.js'
import { lock, unlock } from './lockCommands.js'
import { recover, recoveryCommands } from './recoveryCommands.js'
import { usageError } from './errors.js'
import { groupCommands } from './groupCommands.js'
import { checkFileCommand } from './fileCheckCommand.js'
import { checkLinkCommand } from './linkCheckCommand.js'
import { orgCommands } from './orgCommands.js'
import { printError, printResult } from './output.js'
import { USAGE } from './usage.js'
import { scanCommand } from './scanCommand.js'
import { CLI_APP } from './statsCommand.js'
import { searchCommand } from './searchCommand.js'
import { receiptCommands } from './receiptCommands.js'
import { DEBIAN_STREAM_MAX_BYTES, parseByteCount, parseClamdAddress } from '../node/clamd.js'

/** `org create …` and `group add …` are two words; everything else is one. */
const families: Record<string, Record<string, Command>> = { org: orgCommands, group: groupCommands, recovery: recoveryCommands }

function commandFor(positionals: readonly string[]): { run: Command; args: readonly string[] } {
  const [name = '', ...rest] = positionals
  const family = families[name]
  if (family) {
    const [sub = '', ...args] = rest
    const run = Object.hasOwn(family, sub) ? family[sub] : undefined
    if (!run) throw usageError(`${sub ? `unknown command: ${name} ${sub}` : `${name} needs a command`} (one of: ${Object.keys(family).join(', ')}; --help lists them)`)
    return { run, args }
  }
  const run = Object.hasOwn(convCommands, name) ? convCommands[name] : Object.hasOwn(messageCommands, name) ? messageCommands[name] : Object.hasOwn(fileCommands, name) ? fileCommands[name] : Object.hasOwn(archiveCommands, name) ? archiveCommands[name] : Object.hasOwn(timerCommands, name) ? timerCommands[name] : Object.hasOwn(receiptCommands, name) ? receiptCommands[name] : Object.hasOwn(callsCommands, name) ? callsCommands[name] : undefined
  if (!run) throw usageError(`unknown command: ${name} (--help lists them)`)
  return { run, args: rest }
}

const OPTIONS = {
  home: { type: 'string' },
  server: { type: 'string' },
  origin: { type: 'string' },
  json: { type: 'boolean', default: false },
  name: { type: 'string' },
  title: { type: 'string' },
  count: { type: 'string' },
  all: { type: 'boolean', default: false },
  timeout: { type: 'string' },
  ttl: { type: 'string' },
  code: { type: 'string' },
  'key-file': { type: 'string' },
  'recovery-key': { type: 'string' },
  type: { type: 'string' },
  org: { type: 'string' },
  text: { type: 'string' },
  out: { type: 'string' },
  caption: { type: 'string' },
  'accept-warning': { type: 'boolean', default: false },
  'no-history': { type: 'boolean', default: false },
  'clamd-socket': { type: 'string' },
  clamd: { type: 'string' },
  'clamd-max-stream': { type: 'string' },
  once: { type: 'boolean', default: false },
  conv: { type: 'string' },
  limit: { type: 'string' },
  remove: { type: 'boolean', default: false },
  off: { type: 'boolean', default: false },
  receipts: { type: 'boolean', default: false },
  from: { type: 'string' },
  to: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const

/**
 * Ids are base64url and may begin with '-' (one in 32), and so may message refs
 * (`<segment>.<n>@<hash>`): an argument shaped like either that is not one of the options is a
 * positional (or an option's value), never an unknown option.
 */
const MARK = '\u0001'
const known = new Set(['-h', ...Object.keys(OPTIONS).map((k) => `--${k}`)])
const idShaped = /^-[A-Za-z0-9_-]{11,}(?:\.[0-9]+@[0-9a-f]+)?$/
const protectIds = (argv: readonly string[]) => argv.map((a) => (idShaped.test(a) && !known.has(a.split('=')[0]!) ? MARK + a : a))
const unmark = (a: string) => (a.startsWith(MARK) ? a.slice(MARK.length) : a)
function unprotect<T extends Record<string, unknown>>(values: T): T {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === 'string' ? unmark(v) : v])) as T
}

// Known before parsing, so that even a malformed command line gets its error as JSON.
const json = process.argv.includes('--json')

async function main(): Promise<number> {
  const parsed = parseArgs({ args: protectIds(process.argv.slice(2)), allowPositionals: true, options: OPTIONS })
  const values = unprotect(parsed.values)
  const positionals = parsed.positionals.map(unmark)
  if (values.help || positionals.length === 0) {
    process.stdout.write(USAGE)
    return values.help ? 0 : 2
  }
  // [M31] Opening an archive reads a file, never this device's store: it runs before the store is opened.
  const storeless = storelessCommand(positionals)
  if (storeless) {
    const outcome = await storeless()
    printResult(json, outcome)
    return outcome.exitCode ?? 0
  }
  // [H1] check-file reads a file; it opens this device's store only for an organisation's file policy.
  if (positionals[0] === 'check-file') {
    const outcome = await checkFileCommand(positionals.slice(1), values)
    printResult(json, outcome)
    return outcome.exitCode ?? 0
  }
  // [M29] lock and unlock change what opens the store itself, before any engine uses it.
  const storeCommand = positionals[0] === 'lock' ? lock : positionals[0] === 'unlock' ? unlock : undefined
  // [U10] check-link reads the organisations' blocklists from the store and never connects.
  const linkCheck = positionals[0] === 'check-link'
  // [A4] The organisation scanner: clamd's address is checked before the store is opened.
  const scan = positionals[0] === 'scan' ? parseClamdAddress({ socket: values['clamd-socket'], tcp: values.clamd }) : undefined
  if (positionals[0] === 'scan' && (!scan || positionals.length > 1)) throw usageError('scan takes [--clamd-socket PATH | --clamd HOST:PORT] [--clamd-max-stream BYTES] [--once] and nothing else')
  const maxStream = values['clamd-max-stream'] === undefined ? DEBIAN_STREAM_MAX_BYTES : parseByteCount(values['clamd-max-stream'])
  if (maxStream === undefined) throw usageError(`--clamd-max-stream takes a byte count (1048576, 25M, 1G), not ${values['clamd-max-stream']}`)
  // [M50] search takes --conv and --limit, which no other command reads.
  const search = positionals[0] === 'search'
  const { run, args } = storeCommand || linkCheck || scan || search || positionals[0] === 'recover' ? { run: undefined, args: [] } : commandFor(positionals)
  const timeout = Number(values.timeout ?? 30)
  if (!Number.isFinite(timeout) || timeout < 0) throw usageError(`--timeout takes seconds, not ${values.timeout}`)
  const options: Options = {
    json: values.json,
    origin: values.origin ?? 'http://localhost:8787',
    all: values.all,
    noHistory: values['no-history'],
    ...(values.name !== undefined ? { name: values.name } : {}),
    ...(values.title !== undefined ? { title: values.title } : {}),
    ...(values.count !== undefined ? { count: values.count } : {}),
    ...(values.ttl !== undefined ? { ttl: values.ttl } : {}),
    ...(values.code !== undefined ? { code: values.code } : {}),
    ...(values.out !== undefined ? { out: values.out } : {}),
    ...(values.caption !== undefined ? { caption: values.caption } : {}),
    ...(values['accept-warning'] ? { acceptWarning: true } : {}),
    ...(values.remove ? { remove: true } : {}),
    ...(values.off ? { off: true } : {}),
    ...(values.receipts ? { receipts: true } : {}),
    ...(values.from !== undefined ? { from: values.from } : {}),
    ...(values.to !== undefined ? { to: values.to } : {}),
  }

  const home = resolve(values.home ?? process.env.FIELDCHAT_HOME ?? '.fieldchat')
  const server = values.server ?? process.env.FIELDCHAT_SERVER ?? 'ws://127.0.0.1:8787/sync'
  // [M28] The store is encrypted at rest: a passphrase, a key file, or the home's own key file.
  const sqlite = openSqliteLocalStore(join(home, 'device.sqlite'))
  const encrypted = (await sqlite.get(AT_REST_META)) !== undefined
  const homeKeyFile = join(home, 'device.key')
  const secret = cliAtRestSecret(homeKeyFile, values['key-file'], encrypted)
  if (storeCommand) {
    if (!encrypted) await (await openAtRest(sqlite, secret)).close().then(() => undefined, () => undefined)
    const raw = encrypted ? sqlite : openSqliteLocalStore(join(home, 'device.sqlite'))
    try {
      const outcome = await storeCommand({ store: raw, current: secret, homeKeyFile, fromHomeKeyFile: !process.env.FIELDCHAT_PASSPHRASE && !values['key-file'] && !process.env.FIELDCHAT_KEY_FILE, env: process.env })
      printResult(json, outcome)
      return 0
    } finally {
      await raw.close().catch(() => undefined)
    }
  }
  const store = await openAtRest(sqlite, secret).catch(async (err: unknown) => {
    await sqlite.close()
    throw err
  })
  if (positionals[0] === 'recover') {
    const { messenger, outcome } = await recover({ store, url: server, socket: nodeSocket }, process.env.FIELDCHAT_RECOVERY_KEY ?? values['recovery-key'], timeout * 1000).catch(async (err: unknown) => {
      await store.close()
      throw err
    })
    printResult(json, outcome)
    await messenger.stop().catch(() => undefined)
    await store.close().catch(() => undefined)
    return 0
  }
  const messenger = await Messenger.open({ store, url: server, socket: nodeSocket, spool: nodeSpool(join(home, 'spool')), reopenFile: nodeFileSource, fetch: nodeBlobFetch, app: CLI_APP }).catch(async (err: unknown) => {
    await store.close()
    throw err
  })
  try {
    // [T21][M29] An organisation of this device requires an app lock: an unlocked home does
    // nothing but `lock`, and `org policy` (to see or change the policy).
    const policyCommand = positionals[0] === 'org' && positionals[1] === 'policy'
    if (messenger.identity && !policyCommand && messenger.team.devicePolicy().requireLock && !(await atRestInfo(sqlite)).locked) throw new ClientError(ClientErrorCode.LOCK_REQUIRED)
    const outcome = linkCheck
      ? checkLinkCommand(messenger, positionals.slice(1), values.text)
      : scan ? await scanCommand(makeCli(messenger, options, timeout * 1000), { home, clamd: scan, maxStream, once: values.once })
      : search ? await searchCommand(makeCli(messenger, options, timeout * 1000), positionals.slice(1), { conv: values.conv, limit: values.limit })
      : await run!(makeCli(messenger, options, timeout * 1000), args)
    if (outcome) printResult(json, outcome)
    return outcome?.exitCode ?? 0
  } finally {
    await messenger.stop().catch(() => undefined)
    await store.close().catch(() => undefined)
  }
}

// Stray retry timers (a refused join being tried again) must not keep a finished command alive.
void main()
  .catch((err: unknown) => printError(json, err))
  .then((exitCode) => process.exit(exitCode))
