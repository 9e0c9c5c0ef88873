import type { BlobId, DeviceId } from '../../../protocol/index.js'
import { compareMessages, type MessageView } from '../documents/model.js'
import type { ScanResult, ScanVerdict } from './verdict.js'

/** [A4] What members see beside a file: "checked by Acme scanner: clean". */
export interface FileScan {
  readonly result: ScanResult
  /** The scanner's display name, from the organisation's directory. */
  readonly scanner: string
  /** The signature found, or why the file was not scanned. */
  readonly name?: string
  /** The content the verdict is about (the file's own SHA-256: a verdict about another is ignored). */
  readonly sha256: string
  /** When the verdict was written (the scanner device's clock). */
  readonly ts: number
}

/**
 * [A4] The scanner's verdicts on the files of `messages`, per blob id: only verdicts written by
 * a device `isScanner` accepts (the live devices of the person the organisation's policy names
 * as scanner now) count, only about a file some message carries with that same SHA-256, and the
 * latest (display order, [M14]) wins. A verdict by anyone else — a member claiming "clean" — is
 * ignored, as is one about content the file does not have.
 */
export function scannerVerdicts(messages: Iterable<MessageView>, isScanner: (device: DeviceId) => boolean, scanner: string): Map<BlobId, FileScan> {
  const all = [...messages]
  const shas = new Map<BlobId, Set<string>>()
  for (const m of all) for (const f of m.files ?? []) (shas.get(f.blob) ?? shas.set(f.blob, new Set()).get(f.blob)!).add(f.sha256)
  const out = new Map<BlobId, FileScan>()
  for (const m of all.filter((x) => x.verdicts?.length && isScanner(x.author)).sort(compareMessages)) {
    for (const v of m.verdicts!) {
      if (!shas.get(v.blob)?.has(v.sha256)) continue
      out.set(v.blob, { result: v.result, scanner, sha256: v.sha256, ts: m.ts, ...(v.name !== undefined ? { name: v.name } : {}) })
    }
  }
  return out
}

/** The verdicts `device` wrote among `messages` (the scanner's own: what it has done already). */
export function verdictsBy(messages: Iterable<MessageView>, device: DeviceId): ScanVerdict[] {
  const out: ScanVerdict[] = []
  for (const m of messages) if (m.author === device) out.push(...(m.verdicts ?? []))
  return out
}
