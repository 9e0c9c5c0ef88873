/** [H1]–[H8] On-device file checks: what the app and the CLI import. */
export { blobSource, bytesSource, readAt, type FileSource } from './source.js'
export { DANGER_CLASSES, isDangerClass, type DangerClass } from './classes.js'
export { inspectFile, HEAD_BYTES, type FileClaim, type FileInspection } from './inspect.js'
export { fileVerdict, type FileVerdict } from './verdict.js'
export { FileReasonCode, type FileLevel, type FileReason } from './reasons.js'
export { FILE_POLICY_LIMITS, NO_FILE_POLICY, isFileRule, isSha256Hex, type FilePolicy } from './policy.js'
export { ZIP_LIMITS } from './zipListing.js'
export type { RealType } from './realType.js'

import { inspectFile, type FileClaim } from './inspect.js'
import type { FilePolicy } from './policy.js'
import type { FileSource } from './source.js'
import { fileVerdict, type FileVerdict } from './verdict.js'

/** Inspects and judges in one step ([H1]–[H8]). */
export async function checkFile(source: FileSource, claim: FileClaim, sha256: string, policy?: FilePolicy): Promise<FileVerdict> {
  return fileVerdict(await inspectFile(source, claim), sha256, policy)
}
