import { domainToASCII } from 'node:url'
import { checkPolicyChange, type OrgPolicy, type PolicyChange } from '../core/team/org.js'
import { arg, type Cli } from './context.js'
import { CliError, CliErrorCode, usageError } from './errors.js'
import { result } from './output.js'
import { resolveOrg, resolveUser } from './resolve.js'
import type { ConvId } from '../../protocol/index.js'
import type { Team } from '../core/team/team.js'

const SETTINGS =
  'require-lock=on|off, auto-lock=MINUTES (0: the person chooses), export=allow|forbid, ' +
  'block-type=TYPES and warn-type=TYPES (extensions or classes, comma-separated; none clears), max-file-mb=MIB (0: no limit), ' +
  'block-hash=SHA256, unblock-hash=SHA256, block-domain=DOMAIN, unblock-domain=DOMAIN, scanner=USER|off'

type Mutable<T> = { -readonly [K in keyof T]?: T[K] }
type ListKey = 'blockHashes' | 'unblockHashes' | 'blockDomains' | 'unblockDomains'
const LISTS: Record<string, ListKey> = { 'block-hash': 'blockHashes', 'unblock-hash': 'unblockHashes', 'block-domain': 'blockDomains', 'unblock-domain': 'unblockDomains' }

const items = (value: string) => value.split(',').map((v) => v.trim()).filter(Boolean)
/** `.EXE` → `exe`; class names stay as they are. */
const fileType = (t: string) => t.toLowerCase().replace(/^\./, '')
/** `Évil.Example.` → `xn--vil-dma.example`: lower case, punycode, no trailing dot (one that is not a domain stays as typed, for M509). */
const domain = (d: string) => {
  const bare = d.toLowerCase().replace(/\.$/, '')
  return domainToASCII(bare) || bare
}

/**
 * `require-lock=on`, `block-hash=…` and the like → the change they ask for ([T21]). An unknown
 * setting or a value of the wrong shape is a usage error; a value the policy cannot hold (a
 * malformed hash or domain, an unknown type) is M509, both before anything is sent.
 */
export function parsePolicyChange(args: readonly string[]): PolicyChange {
  const change: Mutable<PolicyChange> = {}
  for (const a of args) {
    const eq = a.indexOf('=')
    const key = eq < 0 ? a : a.slice(0, eq)
    const value = eq < 0 ? undefined : a.slice(eq + 1)
    const list = Object.hasOwn(LISTS, key) ? LISTS[key] : undefined
    if (key === 'require-lock' && (value === 'on' || value === 'off')) change.requireLock = value === 'on'
    else if (key === 'export' && (value === 'allow' || value === 'forbid')) change.forbidExport = value === 'forbid'
    else if (key === 'auto-lock' && value !== undefined && /^\d{1,5}$/.test(value)) change.autoLockMinutes = Number(value)
    else if (key === 'max-file-mb' && value !== undefined && /^\d{1,7}$/.test(value)) change.maxFileMb = Number(value)
    else if ((key === 'block-type' || key === 'warn-type') && value !== undefined) {
      const types = value === 'none' ? [] : items(value).map(fileType)
      if (key === 'block-type') change.blockTypes = types
      else change.warnTypes = types
    } else if (key === 'scanner' && value) change.scanner = value === 'off' ? false : value
    else if (list && value) change[list] = [...(change[list] ?? []), ...items(value).map(list.endsWith('Hashes') ? (h: string) => h.toLowerCase() : domain)]
    else throw usageError(`not a policy setting: ${a} (settings: ${SETTINGS})`)
  }
  checkPolicyChange(change)
  return change
}

const many = (n: number, one: string, more = `${one}s`) => `${n.toLocaleString('en')} ${n === 1 ? one : more}`

function describe(p: OrgPolicy, scanner: string | undefined): string {
  const f = p.files
  return [
    `scanner: ${scanner ?? 'off'}`,
    `app lock: ${p.requireLock ? 'required' : 'the person chooses'}`,
    `auto-lock: ${p.autoLockMinutes ? `after at most ${p.autoLockMinutes} min idle` : 'the person chooses'}`,
    `export: ${p.forbidExport ? 'forbidden' : 'allowed'}`,
    `file types blocked: ${f?.block.length ? f.block.join(', ') : 'none beyond the checks\' own'}`,
    `file types warned about: ${f?.warn.length ? f.warn.join(', ') : 'none beyond the checks\' own'}`,
    `largest file: ${f?.maxFileMb ? `${f.maxFileMb} MiB` : 'the app\'s limit'}`,
    `blocklist: ${many(f?.blockedHashes.length ?? 0, 'file')} (SHA-256), ${many(p.blockedDomains?.length ?? 0, 'domain')}`,
  ].join('\n')
}

/**
 * `org policy ORG [SETTING…]` ([T21]): shows the organisation's device policy, or (an admin)
 * changes the settings given and shows the result; `--json` holds the whole policy, every
 * blocked hash and domain included.
 */
export async function policy(cli: Cli, args: readonly string[]) {
  const orgArg = arg(args, 0, 'ORG')
  const change = parsePolicyChange(args.slice(1))
  if (Object.keys(change).length) {
    await cli.connect()
    const { org } = resolveOrg(cli.team(), orgArg)
    await cli.team().setPolicy(org, typeof change.scanner === 'string' ? { ...change, scanner: scannerUser(cli.team(), org, change.scanner) } : change)
    await cli.delivered()
  }
  const { org, name } = resolveOrg(cli.team(), orgArg)
  const p = cli.team().policy(org)
  const scanner = p.scanner !== undefined ? { user: p.scanner, name: cli.team().directory(org).find((e) => e.user === p.scanner)?.name ?? 'Unknown' } : undefined
  return result(describe(p, scanner && `${scanner.name} (${scanner.user})`), { org, name, policy: p, ...(scanner ? { scanner } : {}) })
}

/** [T22] `scanner=USER`: a person by id or exact name; someone not in the organisation is left for the engine's M509. */
function scannerUser(team: Team, org: ConvId, input: string): string {
  try {
    return resolveUser(team, org, input).user
  } catch (err) {
    if (err instanceof CliError && err.code === CliErrorCode.UNKNOWN_USER) return input
    throw err
  }
}
