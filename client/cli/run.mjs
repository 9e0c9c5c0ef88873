/**
 * `npm run cli`: the CLI's sources bundled into one ES module (dependencies stay in node_modules)
 * and run in plain node. Transpiling each of its few hundred files at every start (tsx) took about
 * 2 s before the first line of output; a bundle starts in about 0.3 s. The bundle is made again
 * (about 0.3 s) whenever a source it is made from, this file or the lockfile is newer than it,
 * written under another name and renamed, so two runs starting together never run half a file.
 */
import { existsSync, readdirSync, renameSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const bundle = join(root, 'node_modules', '.cache', 'fieldchat-cli', 'run', 'main.mjs')
/** What the CLI is made of (client/web is the browser's). */
const SOURCES = ['client/cli', 'client/core', 'client/node', 'crypto', 'protocol']

function newestSource() {
  let newest = Math.max(statSync(fileURLToPath(import.meta.url)).mtimeMs, statSync(join(root, 'package-lock.json')).mtimeMs)
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name))
      else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(join(dir, e.name)).mtimeMs)
    }
  }
  for (const dir of SOURCES) walk(join(root, dir))
  return newest
}

if (!existsSync(bundle) || statSync(bundle).mtimeMs < newestSource()) {
  const { build } = await import('esbuild')
  const partial = `${bundle}.${process.pid}.part`
  await build({ entryPoints: [join(root, 'client/cli/main.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: partial, logLevel: 'warning' })
  renameSync(partial, bundle)
}
await import(pathToFileURL(bundle).href)
