import { defineConfig } from 'vitest/config'

/** Test files that fill the machine on their own (nine browsers in one call, thirty devices over fourteen days): run after the rest, one at a time. */
const ALONE = 'tests/**/*.alone.*.test.ts'
/**
 * `npm run test:fast` (FIELDCHAT_SKIP_E2E=1): everything but the browser tests, which need a
 * build. A project's own `exclude` replaces the command line's `--exclude`, so it is said here.
 */
const E2E = process.env.FIELDCHAT_SKIP_E2E === '1' ? ['tests/e2e/**'] : []

/**
 * Node projects: unit, property, integration (real server process) and e2e (Debian's Chromium
 * via playwright-core against the built PWA), two files at a time; then the `alone` files, one
 * at a time with nothing beside them. No vite-plugin-solid here: its `browser` resolve condition
 * breaks `ws` in Node (TOOLCHAIN.md).
 */
export default defineConfig({
  test: {
    environment: 'node',
    // Generous: the waits inside a test (a minute, tests/integration/helpers/clients.ts) fail first, with what they waited for.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'suite', include: ['tests/**/*.test.ts'], exclude: [ALONE, ...E2E], fileParallelism: true, maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'alone', include: [ALONE], exclude: E2E, fileParallelism: false, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
})
