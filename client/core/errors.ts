/** Client-side codes: each has the sentence a person sees. Numbered in client/core/SPEC.md. */
export const ClientErrorCode = {
  INVITE_MALFORMED: 'M100_INVITE_MALFORMED',
  INVITE_VERSION: 'M101_INVITE_VERSION',
  INVITE_RETIRED: 'M102_INVITE_RETIRED',
  IDENTITY_CORRUPT: 'M200_IDENTITY_CORRUPT',
  RECORD_CORRUPT: 'M201_RECORD_CORRUPT',
  LOCAL_FORMAT: 'M202_LOCAL_FORMAT',
  STORE_LOCKED: 'M203_STORE_LOCKED',
  ENVELOPE_REJECTED: 'M300_ENVELOPE_REJECTED',
  ACTOR_MISMATCH: 'M301_ACTOR_MISMATCH',
  CHANGE_UNREADABLE: 'M302_CHANGE_UNREADABLE',
  WRITE_REFUSED: 'M303_WRITE_REFUSED',
  NOT_EPOCH_MEMBER: 'M304_NOT_EPOCH_MEMBER',
  LATE_ENVELOPE: 'M305_LATE_ENVELOPE',
  SERVER_REFUSED: 'M400_SERVER_REFUSED',
  VERSION_MISMATCH: 'M401_VERSION_MISMATCH',
  MESSAGE_EMPTY: 'M500_MESSAGE_EMPTY',
  MESSAGE_TOO_LONG: 'M501_MESSAGE_TOO_LONG',
  UNKNOWN_CONVERSATION: 'M502_UNKNOWN_CONVERSATION',
  NOT_ADMIN: 'M503_NOT_ADMIN',
  NOT_MEMBER: 'M504_NOT_MEMBER',
  INVITE_REFUSED: 'M505_INVITE_REFUSED',
  TEAM_REFUSED: 'M506_TEAM_REFUSED',
  TEAM_GAP: 'M507_TEAM_GAP',
  NOT_AN_ORGANISATION: 'M508_NOT_AN_ORGANISATION',
  POLICY_INVALID: 'M509_POLICY_INVALID',
  EXPORT_FORBIDDEN: 'M510_EXPORT_FORBIDDEN',
  LOCK_REQUIRED: 'M511_LOCK_REQUIRED',
} as const
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode]

export const clientErrorText: Record<ClientErrorCode, string> = {
  M100_INVITE_MALFORMED: 'This invitation link is incomplete or damaged. Ask for a new link and copy all of it.',
  M101_INVITE_VERSION: 'This invitation was made by a newer version of the app. Reload to update, then open it again.',
  M102_INVITE_RETIRED: 'This invitation link was made by an earlier version of the app; such links no longer let anyone in. Ask for a new link.',
  M200_IDENTITY_CORRUPT: 'The keys of this device could not be read. Nothing was deleted; contact your admin.',
  M201_RECORD_CORRUPT: 'A stored item could not be read and was set aside. Your other data is intact.',
  M202_LOCAL_FORMAT: 'This device\'s data was written by another version of the app and cannot be read by this one. Nothing was changed. Use the matching version, or clear this site\'s data (or the CLI\'s home folder) and join your conversations again.',
  M203_STORE_LOCKED: 'This device\'s data is encrypted and the key or passphrase given does not open it. Nothing was changed.',
  M300_ENVELOPE_REJECTED: 'A change from the server failed verification and was ignored.',
  M301_ACTOR_MISMATCH: 'A change claimed another device as its author and was ignored.',
  M302_CHANGE_UNREADABLE: 'A change could not be applied and was ignored.',
  M303_WRITE_REFUSED: 'A change tried to alter something another person wrote and was ignored.',
  M304_NOT_EPOCH_MEMBER: 'A change came from a device that was not a member when it was written, and was ignored.',
  M305_LATE_ENVELOPE: 'A change the server stored after the conversation\'s key had changed, under the old key, was ignored (the server broke its rules).',
  M400_SERVER_REFUSED: 'The server refused a request.',
  M401_VERSION_MISMATCH: 'This app is out of date for the server. Reload to update.',
  M500_MESSAGE_EMPTY: 'Write something first.',
  M501_MESSAGE_TOO_LONG: 'This message is too long (at most 20,000 characters).',
  M502_UNKNOWN_CONVERSATION: 'This conversation is not on this device.',
  M503_NOT_ADMIN: 'Only an admin of this conversation can do that.',
  M504_NOT_MEMBER: 'That device is not a member of this conversation (any more).',
  M505_INVITE_REFUSED: 'An answer to an invitation was refused (expired, revoked, already used, or not signed with the invitation).',
  M506_TEAM_REFUSED: 'A membership change could not be verified and was ignored.',
  M507_TEAM_GAP: 'Some membership changes have not arrived yet; new keys may be missing until they do.',
  M508_NOT_AN_ORGANISATION: 'Groups are made inside an organisation, not inside a conversation.',
  M509_POLICY_INVALID: 'That policy setting is not valid.',
  M510_EXPORT_FORBIDDEN: 'Your organisation\'s policy does not allow exporting its conversations.',
  M511_LOCK_REQUIRED: 'Your organisation requires an app lock on this device: set a passphrase or a passkey first.',
}

export class ClientError extends Error {
  override name = 'ClientError'
  constructor(readonly code: ClientErrorCode, detail?: string) {
    super(detail ? `${clientErrorText[code]} (${detail})` : clientErrorText[code])
  }
}
