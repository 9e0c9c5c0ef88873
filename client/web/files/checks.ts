import { contentHasher, toHex } from '../../../crypto/index.js'
import { checkFile, NO_FILE_POLICY, type FilePolicy, type FileSource, type FileVerdict } from '../../core/files/check/index.js'
import type { FileRef } from '../../core/files/ref.js'
import type { Messenger } from '../../core/messenger.js'
import type { ConvId } from '../../../protocol/index.js'

/** [W8] The file rules of the organisation a conversation belongs to (a conversation on its own is its own organisation). */
export function filePolicyOf(messenger: Messenger, conv: ConvId): FilePolicy {
  try {
    const team = messenger.team
    return team.policy(team.orgOf(conv) ?? conv).files ?? NO_FILE_POLICY
  } catch {
    return NO_FILE_POLICY
  }
}

/** The plain SHA-256 of a source, read in 1 MiB steps (only when a blocklist needs it). */
async function sha256Of(source: FileSource): Promise<string> {
  const h = contentHasher()
  for (let at = 0; at < source.size; at += 1024 * 1024) h.update(await source.read(at, Math.min(1024 * 1024, source.size - at)))
  return toHex(h.digest())
}

/**
 * [W8] A file the person chose, checked as soon as it is in the tray (client/core [H1]–[H8]),
 * so the verdict and its reasons show before Send: the original as chosen, by name, declared
 * type and content, against the organisation's policy. Its SHA-256 is read only when the policy
 * has a blocklist to match it against. The engine checks again what is sent ([A2]), and takes a
 * warned file only with the person's `confirmed`.
 */
export async function checkOutgoing(messenger: Messenger, conv: ConvId, source: FileSource, name: string, type: string): Promise<FileVerdict> {
  const policy = filePolicyOf(messenger, conv)
  const sha = policy.blockedHashes.length ? await sha256Of(source) : ''
  return checkFile(source, { name, type }, sha, policy)
}

/**
 * [W8] A received file checked before it is opened, played or saved, by the engine (client/core
 * [H5]): `source` is its content — downloaded (its SHA-256 matched to the message's by the
 * engine), or read by range for streaming playback.
 */
export function checkIncoming(messenger: Messenger, conv: ConvId, source: FileSource, ref: FileRef): Promise<FileVerdict> {
  return messenger.checkReceivedFile(conv, ref, source)
}

/** The verdict's reasons as one sentence for the person. */
export const reasonsText = (v: FileVerdict): string => v.reasons.map((r) => r.text).join('; ')
