/** [P1] One protocol version, sent by both sides in the handshake. A mismatch is a typed error. */
export const PROTOCOL_VERSION = 7
