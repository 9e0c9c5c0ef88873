'use strict'
/**
 * Starts the bundled CLI (`main.cjs`, beside this file once bundled, see bundle.mjs) with a V8
 * code cache. Compiling the bundle's 3 MB of JavaScript was most of every command's start in
 * Node 20, which has no module compile cache: each run now reads the code V8 compiled in an earlier
 * run instead.
 *
 * The cache is named by the bundle's SHA-256, so a changed bundle never runs with an old cache (V8's
 * own check compares only the source's length); V8 refuses a cache from another Node or other flags,
 * and the cache is then written again. It is written when a run exits (after the run, so that the
 * functions the run compiled are in it), under another name and renamed, so two runs starting
 * together never read half a file; caches of earlier bundles in the folder are removed then.
 */
const { createHash } = require('node:crypto')
const fs = require('node:fs')
const Module = require('node:module')
const path = require('node:path')
const vm = require('node:vm')

const file = path.join(__dirname, 'main.cjs')
const source = fs.readFileSync(file, 'utf8')
const name = `main.cjs.${createHash('sha256').update(source).digest('hex').slice(0, 32)}.v8cache`
const cacheFile = path.join(__dirname, name)
let cachedData
try {
  cachedData = fs.readFileSync(cacheFile)
} catch {
  cachedData = undefined
}
const script = new vm.Script(Module.wrap(source), {
  filename: file,
  cachedData,
  importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
})
if (!cachedData || script.cachedDataRejected) process.once('exit', writeCache)

function writeCache() {
  try {
    const part = `${cacheFile}.${process.pid}.part`
    fs.writeFileSync(part, script.createCachedData())
    fs.renameSync(part, cacheFile)
    for (const other of fs.readdirSync(__dirname)) {
      if (other !== name && /^main\.cjs\.[0-9a-f]{32}\.v8cache$/.test(other)) fs.rmSync(path.join(__dirname, other), { force: true })
    }
  } catch {
    // A read-only folder or a full disk: the next run compiles again, nothing else changes.
  }
}

const mod = new Module(file, module)
mod.filename = file
mod.paths = Module._nodeModulePaths(__dirname)
script.runInThisContext()(mod.exports, Module.createRequire(file), mod, file, __dirname)
