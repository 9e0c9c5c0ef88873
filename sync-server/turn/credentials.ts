import { turnCredential } from '../../crypto/verify.js'
import type { TurnCredentials } from '../../protocol/index.js'
import type { TurnConfig } from './config.js'

/**
 * [S55] A fresh credential for an authenticated device (crypto [X1]): valid for the configured
 * time from now, its username random (no device, no conversation), logged nowhere.
 */
export function turnCredentials(config: TurnConfig, now = Date.now()): TurnCredentials {
  const c = turnCredential(config.secret, Math.floor(now / 1000) + config.ttlSeconds)
  return { type: 'turn-credentials', urls: [...config.urls], username: c.username, credential: c.credential, ttl: config.ttlSeconds }
}
