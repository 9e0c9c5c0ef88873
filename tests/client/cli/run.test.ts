import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, expect, test } from 'vitest'

/**
 * `npm run cli` (client/cli/run.mjs) as a person runs it: the command that bundles the CLI when
 * its sources changed and runs the bundle. A real command goes through it: `check-file` needs no
 * server and no device.
 */
const scratch = mkdtempSync(join(tmpdir(), 'fieldchat-cli-run-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))
const run = (...args: string[]) => promisify(execFile)(process.execPath, ['client/cli/run.mjs', ...args], { cwd: process.cwd(), env: { ...process.env, FIELDCHAT_HOME: join(scratch, 'home') } })

test('npm run cli runs the CLI from its bundle: usage, and a command with --json', async () => {
  const usage = await run('--help')
  expect(usage.stdout).toMatch(/^usage: npm run cli --/m)
  const file = join(scratch, 'notes.txt')
  writeFileSync(file, 'pump 3 checked\n')
  const verdict = JSON.parse((await run('--json', 'check-file', file)).stdout) as { level: string; size: number }
  expect(verdict).toMatchObject({ level: 'ok', size: 15 })
}, 60_000)
