import { defineConfig } from 'vitest/config'

/**
 * One Node project: unit, property, integration (real server process) and e2e (Debian's
 * Chromium via playwright-core against the built PWA). No vite-plugin-solid here: its
 * `browser` resolve condition breaks `ws` in Node (TOOLCHAIN.md).
 */
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    // Generous: the waits inside a test (a minute, tests/integration/helpers/clients.ts) fail first, with what they waited for.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
})
