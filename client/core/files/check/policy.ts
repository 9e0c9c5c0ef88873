import { isDangerClass } from './classes.js'

/**
 * [H8] The file part of an organisation's policy (team [T21]), as the checks apply it. Rules are
 * name extensions (`exe`, `iso`) or class names (`executable`, `disk-image`, …, [H3]); a policy
 * only adds to the defaults ([H5]), it never lets through what they block or warn about.
 */
export interface FilePolicy {
  /** Types whose files are not sent and not opened. */
  readonly block: readonly string[]
  /** Types whose files need a deliberate second step. */
  readonly warn: readonly string[]
  /** Files larger than this many MiB are blocked; 0: only the app's own limit. */
  readonly maxFileMb: number
  /** SHA-256 of known-bad files (lower-case hex, crypto [F5]): blocked. */
  readonly blockedHashes: readonly string[]
}

export const NO_FILE_POLICY: FilePolicy = { block: [], warn: [], maxFileMb: 0, blockedHashes: [] }

export const FILE_POLICY_LIMITS = {
  /** Rules in each of `block` and `warn`. */
  rules: 256,
  blockedHashes: 10_000,
  /** 1 TiB: a bound on the setting, far above what the app sends (2 GiB, [A1]). */
  maxFileMb: 1024 * 1024,
} as const

/** An extension (lower-case letters and digits, no dot) or a class name. */
export const isFileRule = (s: string): boolean => isDangerClass(s) || /^[a-z0-9]{1,16}$/.test(s)

export const isSha256Hex = (s: string): boolean => /^[0-9a-f]{64}$/.test(s)

export const MIB = 1024 * 1024
