/**
 * [U2] What a link check says: a level, the reasons for it (each with a numbered code and a
 * sentence for the person), and where the link really goes.
 */
export type LinkLevel = 'ok' | 'warn' | 'block'

/**
 * Reason codes ([U2]). U1xx raise the level to `warn` (a deliberate second step before the link
 * opens); U2xx to `block` (never clickable). Numbers are never reused.
 */
export const LinkReasonCode = {
  SHOWN_TEXT_MISMATCH: 'U101_SHOWN_TEXT_MISMATCH',
  PUNYCODE: 'U102_PUNYCODE',
  MIXED_SCRIPT: 'U103_MIXED_SCRIPT',
  LOOKALIKE_SCRIPT: 'U104_LOOKALIKE_SCRIPT',
  IP_ADDRESS: 'U105_IP_ADDRESS',
  DISGUISED_HOST: 'U106_DISGUISED_HOST',
  USERINFO: 'U107_USERINFO',
  DANGEROUS_DOWNLOAD: 'U108_DANGEROUS_DOWNLOAD',
  DANGEROUS_SCHEME: 'U201_DANGEROUS_SCHEME',
  BLOCKED_DOMAIN: 'U202_BLOCKED_DOMAIN',
} as const
export type LinkReasonCode = (typeof LinkReasonCode)[keyof typeof LinkReasonCode]

export interface LinkReason {
  readonly code: LinkReasonCode
  /** One sentence for the person, naming the real destination. */
  readonly text: string
}

export interface LinkVerdict {
  readonly level: LinkLevel
  /** Empty exactly when `level` is `ok`. */
  readonly reasons: readonly LinkReason[]
  /** The real host as the browser will use it (ASCII, punycode, lower case); an e-mail link's domain; '' for a scheme without one. */
  readonly host: string
  /** `host` as a person reads it: IDN labels decoded to Unicode ([U4]). */
  readonly displayHost: string
  /** The host the link pretends to go to (its shown text [U3], or the name before an `@` [U6]), when it pretends. */
  readonly shownHost?: string
  /** The URL the link opens (normalised by the URL parser); '' when blocked by scheme. */
  readonly href: string
}

export const levelOf = (code: LinkReasonCode): LinkLevel => (code.startsWith('U2') ? 'block' : 'warn')

const RANK: Record<LinkLevel, number> = { ok: 0, warn: 1, block: 2 }

/** The verdict's level is the highest of its reasons'. */
export function levelOfAll(reasons: readonly LinkReason[]): LinkLevel {
  return reasons.reduce<LinkLevel>((top, r) => (RANK[levelOf(r.code)] > RANK[top] ? levelOf(r.code) : top), 'ok')
}
