import { defineConfig } from 'vitest/config'

/** Test files that fill the machine on their own (nine browsers in one call, thirty devices over fourteen days): run after the rest, one at a time. */
const ALONE = 'tests/**/*.alone.*.test.ts'

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
      { extends: true, test: { name: 'suite', include: ['tests/**/*.test.ts'], exclude: [ALONE], fileParallelism: true, maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'alone', include: [ALONE], fileParallelism: false, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
})
