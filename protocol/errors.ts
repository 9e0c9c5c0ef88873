/**
 * Numbered wire error codes ([P7]). Each has a message for the local person and one for the
 * remote peer (which never reveals more than the peer already knows).
 */
export const ErrorCode = {
  BAD_FRAME: 1000,
  FRAME_TOO_LARGE: 1001,
  RATE_LIMITED: 1002,
  VERSION_MISMATCH: 1003,
  NOT_AUTHENTICATED: 1004,
  AUTH_FAILED: 1005,
  /** [S6] No frame either way for the idle time (a silent peer, or one that stopped in the middle of a frame). */
  IDLE_TIMEOUT: 1006,
  /** [S6] The peer reads slower than the server sends: its unsent bytes passed the limit; it resumes from its cursor. */
  SLOW_READER: 1007,
  NOT_JOINED: 1100,
  CAPABILITY_REJECTED: 1101,
  CAPABILITY_REVOKED: 1102,
  REKEY_CONFLICT: 1103,
  NOT_REGISTERED: 1104,
  BAD_ENVELOPE: 1200,
  SEQ_GAP: 1202,
  CHAIN_BROKEN: 1203,
  EQUIVOCATION: 1204,
  /** [S12] The envelope's epoch is not the conversation's current one; 1201 (a device check) is retired with protocol 2. */
  STALE_EPOCH: 1205,
  /** [S56] The document was dropped: its keep-until day passed. The device drops its pending changes for it. */
  DOC_DROPPED: 1206,
  MAILBOX_FULL: 1300,
  /** [S50] This server sends no Web Push (no VAPID keys configured). */
  PUSH_OFF: 1400,
  /** [S50] The subscription's endpoint is not https on a push service this server allows, or its keys are malformed. */
  PUSH_REFUSED: 1401,
  /** [S50] The server holds as many subscriptions as it allows. */
  PUSH_FULL: 1402,
  /** [S55] This server hands out no TURN credentials (no --turn-url and --turn-secret). */
  TURN_OFF: 1410,
  INTERNAL: 1500,
} as const
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

export const errorText: Record<ErrorCode, { local: string; remote: string }> = {
  1000: { local: 'The server sent something this app cannot read.', remote: 'Frame is not a valid message.' },
  1001: { local: 'A message was too large to send.', remote: 'Frame exceeds the size limit.' },
  1002: { local: 'Sending too fast; slowing down.', remote: 'Rate limit exceeded.' },
  1003: { local: 'This app and the server speak different versions. Reload to update.', remote: 'Protocol version not supported.' },
  1004: { local: 'Not signed in to the server yet.', remote: 'Handshake required first.' },
  1005: { local: 'The server did not accept this device.', remote: 'Device authentication failed.' },
  1006: { local: 'The connection was silent too long; reconnecting.', remote: 'No frame for too long: connection closed.' },
  1007: { local: 'The connection was too slow to keep up; reconnecting to catch up.', remote: 'Reading too slowly: reconnect and resume from your cursor.' },
  1100: { local: 'This conversation is not open on the server.', remote: 'Join the conversation first.' },
  1101: { local: 'You no longer have access to this conversation.', remote: 'Capability proof rejected.' },
  1102: { local: 'This conversation moved to a new key.', remote: 'Capability rotated: join again with the new epoch.' },
  1103: { local: 'Another admin changed this conversation\'s key at the same time.', remote: 'Rekey from an epoch the conversation is no longer at.' },
  1104: { local: 'This conversation is not on the server yet: it waits for the device that created it to connect.', remote: 'Conversation not registered: only its creator device can register it.' },
  1200: { local: 'A change could not be verified.', remote: 'Envelope is malformed or its signature is invalid.' },
  1202: { local: 'Changes arrived out of order; resending.', remote: 'Sequence number gap.' },
  1203: { local: 'Changes do not follow on from each other.', remote: 'Envelope prev does not match the previous envelope.' },
  1204: { local: 'Two different changes claim the same place.', remote: 'Different envelope already stored at this sequence number.' },
  1205: { local: 'Changes were sealed under a key this conversation has left; sealing them again.', remote: 'Envelope epoch is not the conversation\'s current epoch.' },
  1206: { local: 'This part of the conversation has disappeared (its messages expired); changes to it were dropped.', remote: 'Document dropped: its keep-until day has passed.' },
  1300: { local: 'A message could not be delivered to a device whose mailbox is full.', remote: 'Recipient mailbox is full.' },
  1400: { local: 'This server does not send notifications while the app is closed.', remote: 'Push is not configured on this server.' },
  1401: { local: 'The server did not accept this browser\'s push subscription.', remote: 'Push subscription refused.' },
  1402: { local: 'The server cannot take more push subscriptions now.', remote: 'Push subscriptions are full.' },
  1410: { local: 'Calls cannot go through a relay on this server: it has no TURN server configured.', remote: 'TURN is not configured on this server.' },
  1500: { local: 'The server had a problem; retrying.', remote: 'Internal error.' },
}

export function isErrorCode(n: number): n is ErrorCode {
  return Object.prototype.hasOwnProperty.call(errorText, n)
}
