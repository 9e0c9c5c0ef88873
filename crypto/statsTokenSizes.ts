/** [X3] Sizes of report tokens (crypto/statsToken.ts), apart from it so that parsers need not load BLS12-381. */
export const STATS_TOKEN_NONCE_BYTES = 32
export const STATS_POINT_BYTES = 48
export const STATS_PUBLIC_KEY_BYTES = 96
