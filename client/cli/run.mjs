/**
 * `npm run cli`: the CLI's sources bundled into one ES module (dependencies stay in node_modules)
 * and run in plain node. Transpiling each of its few hundred files at every start (tsx) took about
 * 2 s before the first line of output; a bundle starts in about 0.3 s.
 *
 * The bundle is made again (about 0.3 s) whenever what it is made from differs from what it was
 * made from: a fingerprint of every source file's path, size and modification time (and of this
 * file, the lockfile, package.json and tsconfig.json), taken before the build and kept beside the
 * bundle. A file edited during a build, deleted, renamed, or put back with an older time changes
 * it. The bundle and its fingerprint are written under other names and renamed, so two runs
 * starting together never run half a file.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const bundle = join(root, 'node_modules', '.cache', 'fieldchat-cli', 'run', 'main.mjs')
const stamp = `${bundle}.fingerprint`
/** What the CLI is made of (client/web is the browser's). */
const SOURCES = ['client/cli', 'client/core', 'client/node', 'crypto', 'protocol']
const ALSO = ['client/cli/run.mjs', 'package-lock.json', 'package.json', 'tsconfig.json']

function fingerprint() {
  const hash = createHash('sha256')
  const add = (path) => {
    const st = statSync(join(root, path), { throwIfNoEntry: false })
    hash.update(`${path}\0${st ? `${st.size}\0${st.mtimeMs}` : '-'}\n`)
  }
  const walk = (dir) => {
    for (const e of readdirSync(join(root, dir), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = `${dir}/${e.name}`
      if (e.isDirectory()) walk(path)
      else if (e.name.endsWith('.ts')) add(path)
    }
  }
  for (const dir of SOURCES) walk(dir)
  for (const path of ALSO) add(path)
  return hash.digest('hex')
}

const now = fingerprint()
let made
try {
  made = readFileSync(stamp, 'utf8')
} catch {
  made = undefined
}
if (made !== now || !statSync(bundle, { throwIfNoEntry: false })) {
  const { build } = await import('esbuild')
  const partial = `${bundle}.${process.pid}.part`
  await build({ entryPoints: [join(root, 'client/cli/main.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: partial, logLevel: 'warning' })
  renameSync(partial, bundle)
  writeFileSync(`${stamp}.${process.pid}.part`, now)
  renameSync(`${stamp}.${process.pid}.part`, stamp)
}
await import(pathToFileURL(bundle).href)
