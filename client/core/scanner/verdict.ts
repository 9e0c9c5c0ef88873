import * as A from '@automerge/automerge'
import { parseBlobId, type BlobId } from '../../../protocol/index.js'

/**
 * [A4] A scanner's verdict on one attached file, as its device writes it into a message of its
 * own: the blob and content SHA-256 of the file it scanned, and what came of it. The message's
 * envelope signature is what makes it a *signed* verdict ([E10]: the author is the signer).
 */
export type ScanResult = 'clean' | 'infected' | 'unscanned'

export interface ScanVerdict {
  readonly blob: BlobId
  /** The SHA-256 of the content scanned (crypto [F5]), lower-case hex: it must be the file's. */
  readonly sha256: string
  readonly result: ScanResult
  /** The signature found (`infected`), or why it was not scanned (`unscanned`: "too large"). */
  readonly name?: string
}

export const MAX_VERDICTS_PER_MESSAGE = 32
export const MAX_VERDICT_NAME_CHARS = 200
const RESULTS: readonly ScanResult[] = ['clean', 'infected', 'unscanned']

/** The Automerge form ([A1]'s way): ImmutableStrings only. */
export type VerdictRecord = Record<string, A.ImmutableString>

const imm = (s: string) => new A.ImmutableString(s)
const str = (v: unknown): string | undefined => (v instanceof A.ImmutableString ? v.val : typeof v === 'string' ? v : undefined)
const cleanName = (n: string) => n.length > 0 && n.length <= MAX_VERDICT_NAME_CHARS && !/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/.test(n)

/** Every field within its bounds: what a receiver would parse back whole. */
export const isVerdict = (v: ScanVerdict): boolean =>
  !!parseBlobId(v.blob) && /^[0-9a-f]{64}$/.test(v.sha256) && RESULTS.includes(v.result) && (v.name === undefined || cleanName(v.name))

/** Programmer error (a malformed verdict about to be written) throws. */
export function verdictRecord(v: ScanVerdict): VerdictRecord {
  if (!isVerdict(v)) throw new Error('malformed scan verdict')
  return { b: imm(v.blob), sha: imm(v.sha256), r: imm(v.result), ...(v.name !== undefined ? { n: imm(v.name) } : {}) }
}

/** [A4] Parses one verdict of a received message; undefined when any field is malformed. */
export function readVerdictRecord(v: unknown): ScanVerdict | undefined {
  if (!v || typeof v !== 'object') return undefined
  const r = v as Record<string, unknown>
  const blob = parseBlobId(str(r.b))
  const sha = str(r.sha)
  const result = str(r.r) as ScanResult | undefined
  const name = str(r.n)
  if (!blob || !sha || !/^[0-9a-f]{64}$/.test(sha) || !result || !RESULTS.includes(result)) return undefined
  if (r.n !== undefined && (name === undefined || !cleanName(name))) return undefined
  return { blob, sha256: sha, result, ...(name !== undefined ? { name } : {}) }
}

/** The well-formed verdicts of a message (at most {@link MAX_VERDICTS_PER_MESSAGE}); undefined when there is no list. */
export function readVerdictRecords(v: unknown): ScanVerdict[] | undefined {
  if (!Array.isArray(v)) return undefined
  return v.slice(0, MAX_VERDICTS_PER_MESSAGE).flatMap((item) => readVerdictRecord(item) ?? [])
}

/** How a verdict reads beside a file: "clean", "infected: Eicar-Test-Signature", "not scanned: too large". */
export const verdictText = (v: { result: ScanResult; name?: string }): string => `${v.result === 'unscanned' ? 'not scanned' : v.result}${v.name ? `: ${v.name}` : ''}`

/** A message that carries verdicts and nothing for a person to read: not listed among the messages. */
export const verdictOnly = (m: { text: string; files?: readonly unknown[]; verdicts?: readonly unknown[] }): boolean => !!m.verdicts?.length && !m.text && !m.files?.length
