/**
 * `npm run cli`: the CLI bundled into one CommonJS file (bundle.mjs) and started with a V8 code
 * cache (start.cjs). Transpiling each of its few hundred files at every start (tsx) took about 2 s
 * before the first line of output; the bundle starts in about 0.3 s.
 *
 * The bundle is made again (about 0.5 s) whenever what it is made from differs from what it was
 * made from: a fingerprint of every source file's path, size and modification time (and of this
 * file, the bundler, the starter, the lockfile, package.json and tsconfig.json), taken before the
 * build and kept beside the bundle. A file edited during a build, deleted, renamed, or put back
 * with an older time changes it. The bundle and its fingerprint are written under other names and
 * renamed, so two runs starting together never run half a file.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { bundleCli } from './bundle.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const dir = join(root, 'node_modules', '.cache', 'fieldchat-cli', 'run')
const start = join(dir, 'start.cjs')
const stamp = join(dir, 'fingerprint')
/** What the CLI is made of (client/web is the browser's). */
const SOURCES = ['client/cli', 'client/core', 'client/node', 'crypto', 'protocol']
const ALSO = ['client/cli/run.mjs', 'client/cli/bundle.mjs', 'client/cli/start.cjs', 'package-lock.json', 'package.json', 'tsconfig.json']

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
if (made !== now || !statSync(start, { throwIfNoEntry: false })) {
  await bundleCli(dir)
  writeFileSync(`${stamp}.${process.pid}.part`, now)
  renameSync(`${stamp}.${process.pid}.part`, stamp)
}
createRequire(import.meta.url)(start)
