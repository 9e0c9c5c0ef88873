import type { OrgPolicy } from '../core/team/org.js'
import { arg, type Cli } from './context.js'
import { usageError } from './errors.js'
import { result } from './output.js'
import { resolveOrg } from './resolve.js'

const SETTINGS = 'require-lock=on|off, auto-lock=MINUTES (0: the person chooses), export=allow|forbid'

/** `require-lock=on` and the like → the part of the policy they change. */
export function parsePolicyChange(args: readonly string[]): Partial<OrgPolicy> {
  const change: { -readonly [K in keyof OrgPolicy]?: OrgPolicy[K] } = {}
  for (const a of args) {
    const [key, value = ''] = a.split('=', 2)
    if (key === 'require-lock' && (value === 'on' || value === 'off')) change.requireLock = value === 'on'
    else if (key === 'export' && (value === 'allow' || value === 'forbid')) change.forbidExport = value === 'forbid'
    else if (key === 'auto-lock' && /^\d{1,5}$/.test(value)) change.autoLockMinutes = Number(value)
    else throw usageError(`not a policy setting: ${a} (settings: ${SETTINGS})`)
  }
  return change
}

const describe = (p: OrgPolicy) =>
  [`app lock: ${p.requireLock ? 'required' : 'the person chooses'}`, `auto-lock: ${p.autoLockMinutes ? `after at most ${p.autoLockMinutes} min idle` : 'the person chooses'}`, `export: ${p.forbidExport ? 'forbidden' : 'allowed'}`].join('\n')

/**
 * `org policy ORG [SETTING…]` ([T21]): shows the organisation's device policy, or (an admin)
 * changes the settings given and shows the result.
 */
export async function policy(cli: Cli, args: readonly string[]) {
  const orgArg = arg(args, 0, 'ORG')
  const change = parsePolicyChange(args.slice(1))
  if (Object.keys(change).length) {
    await cli.connect()
    const { org } = resolveOrg(cli.team(), orgArg)
    await cli.team().setPolicy(org, change)
    await cli.delivered()
  }
  const { org, name } = resolveOrg(cli.team(), orgArg)
  const p = cli.team().policy(org)
  return result(describe(p), { org, name, policy: p })
}
