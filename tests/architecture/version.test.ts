import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import { APP_VERSION } from '../../client/core/version.js'

test('[Q7] the version devices report is package.json\'s', () => {
  expect(APP_VERSION).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version)
})
