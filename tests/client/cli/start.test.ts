import { execFile } from 'node:child_process'
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, expect, test } from 'vitest'

/**
 * client/cli/start.cjs, which runs the bundled CLI with a V8 code cache: the cache must never make
 * a changed bundle run old code (V8's own check compares only the source's length), and a damaged
 * cache must cost a compile, not a failure.
 */
const dir = mkdtempSync(join(tmpdir(), 'fieldchat-start-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
copyFileSync('client/cli/start.cjs', join(dir, 'start.cjs'))
const run = async (...args: string[]) => (await promisify(execFile)(process.execPath, [join(dir, 'start.cjs'), ...args])).stdout
const caches = () => readdirSync(dir).filter((f) => f.endsWith('.v8cache'))
/** A stand-in bundle: prints a word and its arguments, with functions for V8 to compile lazily. */
const bundle = (word: string) => `function say(w) { return w + ':' + process.argv.slice(2).join(',') }\nconsole.log(say('${word}'))\n`

test('a cache is written after the first run and used by the next; the arguments reach the bundle', async () => {
  writeFileSync(join(dir, 'main.cjs'), bundle('alpha'))
  expect(await run('x', 'y')).toBe('alpha:x,y\n')
  expect(caches()).toHaveLength(1)
  const [written] = caches()
  const before = statSync(join(dir, written!)).ino
  expect(await run('z')).toBe('alpha:z\n')
  // Accepted, so not written again (a cache written again is a new file renamed into place).
  expect(statSync(join(dir, written!)).ino).toBe(before)
})

test('a changed bundle of the same length runs its own code, and the old cache is removed', async () => {
  writeFileSync(join(dir, 'main.cjs'), bundle('alpha'))
  await run()
  const old = caches()
  writeFileSync(join(dir, 'main.cjs'), bundle('gamma'))
  expect(bundle('gamma').length).toBe(bundle('alpha').length)
  expect(await run('q')).toBe('gamma:q\n')
  expect(caches()).toHaveLength(1)
  expect(caches()).not.toEqual(old)
})

test('a damaged cache is refused by V8: the run compiles, succeeds, and writes a good cache', async () => {
  writeFileSync(join(dir, 'main.cjs'), bundle('delta'))
  await run()
  const [name] = caches()
  const damaged = readFileSync(join(dir, name!))
  for (let i = 16; i < damaged.length; i += 7) damaged[i] = damaged[i]! ^ 0x5a
  writeFileSync(join(dir, name!), damaged)
  const damagedIno = statSync(join(dir, name!)).ino
  expect(await run('r')).toBe('delta:r\n')
  expect(readFileSync(join(dir, name!)).equals(damaged)).toBe(false)
  expect(statSync(join(dir, name!)).ino).not.toBe(damagedIno)
  expect(await run('s')).toBe('delta:s\n')
  writeFileSync(join(dir, name!), Buffer.from('not a cache'))
  expect(await run('t')).toBe('delta:t\n')
})
