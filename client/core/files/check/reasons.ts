/**
 * [H7] The reasons a verdict gives, each with a stable code (client/core/SPEC.md "File checks"):
 * H1xx are found in the file itself, H2xx come from the organisation's policy. A reason's text
 * names what was found ("executable disguised as PDF"); its level is what it makes the verdict.
 */
export const FileReasonCode = {
  TYPE_MISMATCH: 'H101_TYPE_MISMATCH',
  EXECUTABLE: 'H102_EXECUTABLE',
  SCRIPT: 'H103_SCRIPT',
  INSTALLER: 'H104_INSTALLER',
  DISK_IMAGE: 'H105_DISK_IMAGE',
  MACRO_DOCUMENT: 'H106_MACRO_DOCUMENT',
  DANGEROUS_CONTENT: 'H107_ARCHIVE_DANGEROUS',
  NESTED_ARCHIVE: 'H108_NESTED_ARCHIVE',
  DISGUISED: 'H109_DISGUISED',
  EICAR: 'H110_EICAR',
  ARCHIVE_UNREADABLE: 'H111_ARCHIVE_UNREADABLE',
  ARCHIVE_TOO_LARGE: 'H112_ARCHIVE_TOO_LARGE',
  ARCHIVE_UNCHECKED: 'H113_ARCHIVE_UNCHECKED',
  UNSAFE_ENTRY_NAME: 'H114_UNSAFE_ENTRY_NAME',
  DECEPTIVE_NAME: 'H115_DECEPTIVE_NAME',
  POLICY_BLOCKED: 'H201_POLICY_BLOCKED',
  POLICY_WARN: 'H202_POLICY_WARN',
  BLOCKLISTED: 'H203_BLOCKLISTED',
  TOO_LARGE: 'H204_TOO_LARGE',
} as const
export type FileReasonCode = (typeof FileReasonCode)[keyof typeof FileReasonCode]

/** `warn`: the person must take a deliberate second step; `block`: not sent and not opened. */
export type FileLevel = 'ok' | 'warn' | 'block'

export interface FileReason {
  readonly code: FileReasonCode
  readonly level: Exclude<FileLevel, 'ok'>
  readonly text: string
}

export const reason = (code: FileReasonCode, level: FileReason['level'], text: string): FileReason => ({ code, level, text })

const RANK: Record<FileLevel, number> = { ok: 0, warn: 1, block: 2 }

/** The verdict's level: its strongest reason's. */
export const levelOf = (reasons: readonly FileReason[]): FileLevel => reasons.reduce<FileLevel>((l, r) => (RANK[r.level] > RANK[l] ? r.level : l), 'ok')

/** Block reasons first, then by code; one reason per code and text. */
export function ordered(reasons: readonly FileReason[]): FileReason[] {
  const seen = new Set<string>()
  return [...reasons]
    .filter((r) => !seen.has(`${r.code} ${r.text}`) && !!seen.add(`${r.code} ${r.text}`))
    .sort((a, b) => RANK[b.level] - RANK[a.level] || a.code.localeCompare(b.code))
}

/**
 * An untrusted name as a reason may quote it (a zip entry, a declared type): control and
 * direction characters dropped (a name must not move a terminal's cursor or reorder the text
 * around it), at most 80 characters.
 */
export function shown(name: string): string {
  const clean = name.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/gu, '')
  return clean.length > 80 ? `${clean.slice(0, 79)}…` : clean
}
