// @ts-check
/**
 * The CLI as one CommonJS file with its dependencies inside, run by start.cjs with a V8 code cache.
 * `npm run cli` (run.mjs), the tests and the benchmarks all start the CLI this way, so each
 * command starts in about 0.3 s instead of 0.7 s (module resolution, and compiling each ES module
 * at every start). Kept outside: packages that find files beside their own code at run time
 * (better-sqlite3's native addon, Automerge's wasm, cbor-x's optional native decoder).
 */
import { copyFileSync, renameSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const EXTERNAL = ['better-sqlite3', '@automerge/automerge', 'cbor-extract']

/**
 * Bundles client/cli/main.ts into `dir` (which must lie inside the project's node_modules, so that
 * the packages kept outside resolve) and returns the path of the script to run with node.
 * Both files are written under other names and renamed, so a run never starts half a file.
 * @param {string} dir
 * @returns {Promise<string>}
 */
export async function bundleCli(dir) {
  const { build } = await import('esbuild')
  const main = join(dir, 'main.cjs')
  const start = join(dir, 'start.cjs')
  const part = `.${process.pid}.part`
  await build({ entryPoints: [join(here, 'main.ts')], bundle: true, platform: 'node', format: 'cjs', external: EXTERNAL, outfile: main + part, logLevel: 'warning' })
  copyFileSync(join(here, 'start.cjs'), start + part)
  renameSync(main + part, main)
  renameSync(start + part, start)
  return start
}
