import { spawnSync } from 'node:child_process'
import { expect, test } from 'vitest'
import { parseTurnConfig, TurnConfigError } from '../../sync-server/turn/config.js'

const secret = 'a-secret-of-16-chars'

test('[S55] URLs and secret together or neither; URLs checked one by one; at least one relays; a TTL within 60 s … 1 day', () => {
  expect(parseTurnConfig({})).toBeUndefined()
  expect(parseTurnConfig({ urls: 'turn:turn.example:3478, turns:turn.example:5349?transport=tcp', secret })).toEqual({ urls: ['turn:turn.example:3478', 'turns:turn.example:5349?transport=tcp'], secret, ttlSeconds: 3600 })
  expect(parseTurnConfig({ urls: 'stun:a.example,turn:a.example', secret, ttl: '60' })?.ttlSeconds).toBe(60)
  for (const bad of [
    { urls: 'turn:a.example' },
    { secret },
    { ttl: '600' },
    { urls: 'http://a.example', secret },
    { urls: 'turn:a.example:3478?transport=sctp', secret },
    { urls: 'turn:a b', secret },
    { urls: 'stun:a.example', secret },
    { urls: 'turn:a.example', secret: 'short' },
    { urls: 'turn:a.example', secret, ttl: '59' },
    { urls: 'turn:a.example', secret, ttl: '86401' },
    { urls: 'turn:a.example', secret, ttl: '1e3' },
    { urls: Array.from({ length: 9 }, (_, i) => `turn:h${i}.example`).join(','), secret },
  ]) expect(() => parseTurnConfig(bad), JSON.stringify(bad)).toThrow(TurnConfigError)
})

test('[S55] npm start with half a TURN configuration stops before listening: S160_TURN_CONFIG, exit code 2, the secret not printed', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'sync-server/main.ts', '--port', '0', '--data', '/nonexistent-fieldchat', '--turn-url', 'turn:a.example'], { encoding: 'utf8', env: { ...process.env, TURN_SECRET: '' }, timeout: 60_000 })
  expect(run.status).toBe(2)
  expect(run.stderr).toContain('S160_TURN_CONFIG')
  const short = spawnSync(process.execPath, ['--import', 'tsx', 'sync-server/main.ts', '--port', '0', '--data', '/nonexistent-fieldchat', '--turn-url', 'turn:a.example'], { encoding: 'utf8', env: { ...process.env, TURN_SECRET: 'tiny-secret' }, timeout: 60_000 })
  expect(short.status).toBe(2)
  expect(short.stderr + short.stdout).not.toContain('tiny-secret')
})
