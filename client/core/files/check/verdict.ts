import { isDangerClass, type DangerClass } from './classes.js'
import type { FileInspection } from './inspect.js'
import type { RealType } from './realType.js'
import { FileReasonCode as R, levelOf, ordered, reason, type FileLevel, type FileReason } from './reasons.js'
import { MIB, type FilePolicy } from './policy.js'

/** [H7] The outcome of a file check, as the app and the CLI show it. */
export interface FileVerdict {
  readonly level: FileLevel
  /** Why: block reasons first; empty when `ok`. */
  readonly reasons: readonly FileReason[]
  readonly name: string
  readonly declaredType?: string
  readonly realType?: RealType
  readonly size: number
  readonly sha256: string
  readonly classes: readonly DangerClass[]
  readonly contains: readonly DangerClass[]
  readonly archive?: FileInspection['archive']
}

/**
 * [H5][H8] The final verdict: what the file says ([H1]–[H6]), then the organisation's policy —
 * its blocked and warned types, its SHA-256 blocklist and its size limit. `sha256` is the plain
 * SHA-256 of the whole content (crypto [F5]), computed by the caller while it reads the file.
 */
export function fileVerdict(inspection: FileInspection, sha256: string, policy?: FilePolicy): FileVerdict {
  const reasons: FileReason[] = [...inspection.findings]
  if (policy) reasons.push(...policyReasons(inspection, sha256.toLowerCase(), policy))
  const sorted = ordered(reasons)
  return {
    level: levelOf(sorted),
    reasons: sorted,
    name: inspection.name,
    ...(inspection.declaredType ? { declaredType: inspection.declaredType } : {}),
    ...(inspection.realType ? { realType: inspection.realType } : {}),
    size: inspection.size,
    sha256: sha256.toLowerCase(),
    classes: inspection.classes,
    contains: inspection.contains,
    ...(inspection.archive ? { archive: inspection.archive } : {}),
  }
}

function policyReasons(ins: FileInspection, sha256: string, policy: FilePolicy): FileReason[] {
  const out: FileReason[] = []
  if (policy.blockedHashes.includes(sha256)) out.push(reason(R.BLOCKLISTED, 'block', 'known bad file (organisation blocklist)'))
  if (policy.maxFileMb > 0 && ins.size > policy.maxFileMb * MIB) out.push(reason(R.TOO_LARGE, 'block', `larger than the organisation's limit of ${policy.maxFileMb} MiB`))
  // A rule matches the file's own classes and extensions, and those of what it holds: a zip
  // around a blocked type is blocked too.
  const classes = new Set<string>([...ins.classes, ...ins.contains])
  const matches = (rule: string) => (isDangerClass(rule) ? classes.has(rule) : ins.extensions.includes(rule))
  const what = (rule: string) => (isDangerClass(rule) ? rule.replace('-', ' ') : `.${rule}`)
  for (const rule of policy.block) if (matches(rule)) out.push(reason(R.POLICY_BLOCKED, 'block', `${what(rule)} files are blocked by the organisation's policy`))
  for (const rule of policy.warn) {
    if (matches(rule) && !policy.block.includes(rule)) out.push(reason(R.POLICY_WARN, 'warn', `${what(rule)} files need a second look under the organisation's policy`))
  }
  return out
}
