import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'

/**
 * The import graph, checked from source text (ARCHITECTURE §2, §7): the blind server must be
 * provably unable to decrypt, and the shared layers must run in the browser and in Node alike.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const SOURCE = /\.(ts|tsx|mts)$/

function walk(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) return []
    const path = join(dir, name)
    return statSync(path).isDirectory() ? walk(path) : SOURCE.test(name) ? [path] : []
  })
}

const rel = (file: string) => relative(ROOT, file).split(sep).join('/')
const under = (file: string, folder: string) => rel(file).startsWith(`${folder}/`)

/** Every module specifier in a file: static imports and re-exports, side-effect imports, import(), require(). */
function specifiers(file: string): string[] {
  const src = readFileSync(file, 'utf8')
  const found = new Set<string>()
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ]
  for (const re of patterns) for (const m of src.matchAll(re)) found.add(m[1]!)
  return [...found]
}

/** Resolve a relative specifier the way the bundler does (`./x.js` → `./x.ts`). */
function resolveRelative(from: string, spec: string): string {
  const base = resolve(dirname(from), spec)
  const candidates = [base, base.replace(/\.(m?js)$/, '.ts'), base.replace(/\.js$/, '.tsx'), `${base}.ts`, join(base, 'index.ts')]
  const hit = candidates.find((c) => existsSync(c) && statSync(c).isFile())
  if (!hit) throw new Error(`${rel(from)}: cannot resolve ${spec}`)
  return hit
}

/** Files reachable from `entries` through relative imports, with the bare (package) specifiers each one uses. */
function reachable(entries: string[]): Map<string, string[]> {
  const seen = new Map<string, string[]>()
  const todo = [...entries]
  while (todo.length) {
    const file = todo.pop()!
    if (seen.has(file)) continue
    const specs = specifiers(file)
    seen.set(file, specs)
    for (const s of specs) if (s.startsWith('.')) todo.push(resolveRelative(file, s))
  }
  return seen
}

const serverFiles = walk(join(ROOT, 'sync-server'))
const serverGraph = reachable(serverFiles)
const verifyEntry = join(ROOT, 'crypto/verify.ts')
/** crypto/verify.ts and every crypto file it re-exports from, directly or through them. */
const verifyClosure = new Set(reachable([verifyEntry]).keys())
const verifyReExports = new Set(specifiers(verifyEntry).filter((s) => s.startsWith('.')).map((s) => resolveRelative(verifyEntry, s)))

describe('[S8] the blind server cannot decrypt (ARCHITECTURE §2)', () => {
  test('[S8] the server graph is non-trivial (the walker sees the files)', () => {
    expect(serverFiles.length).toBeGreaterThan(5)
    expect([...serverGraph.keys()].map(rel)).toEqual(expect.arrayContaining(['sync-server/connection.ts', 'protocol/codec.ts', 'crypto/verify.ts']))
  })

  test('[S8] no file reachable from sync-server imports @automerge/* or anything under client/', () => {
    for (const [file, specs] of serverGraph) {
      expect(under(file, 'client'), rel(file)).toBe(false)
      for (const s of specs) expect(s.startsWith('@automerge/'), `${rel(file)} imports ${s}`).toBe(false)
    }
  })

  test('[S8] outside crypto/, reachable files enter crypto only through crypto/verify.ts (or a module it re-exports)', () => {
    for (const [file, specs] of serverGraph) {
      if (under(file, 'crypto')) continue
      for (const s of specs.filter((x) => x.startsWith('.'))) {
        const target = resolveRelative(file, s)
        if (!under(target, 'crypto')) continue
        expect(target === verifyEntry || verifyReExports.has(target), `${rel(file)} imports ${rel(target)}`).toBe(true)
      }
    }
  })

  test('[S8] every crypto file the server loads is in the closure of crypto/verify.ts', () => {
    for (const file of serverGraph.keys()) if (under(file, 'crypto')) expect(verifyClosure.has(file), rel(file)).toBe(true)
  })

  test('[S8] no reachable file contains a decrypting call (secretbox.open, box.open)', () => {
    for (const file of serverGraph.keys()) {
      const src = readFileSync(file, 'utf8')
      expect(/\b(?:secret)?box\.open\b/.test(src), `${rel(file)} can decrypt`).toBe(false)
    }
  })
})

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]))
const sharedFiles = ['crypto', 'protocol', 'client/core'].flatMap((f) => walk(join(ROOT, f)))
const DOM_ONLY = /\b(?:window|document|localStorage|sessionStorage|navigator)\s*\.|\bindexedDB\b/

/** Source text without comments, so a doc comment may mention `window.` without tripping the check. */
function code(file: string): string {
  return readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1')
}

describe('crypto/, protocol/ and client/core/ run in the browser and in Node (ARCHITECTURE §2)', () => {
  test('[C0] [P2] the shared layers exist and are scanned', () => {
    expect(sharedFiles.some((f) => under(f, 'crypto'))).toBe(true)
    expect(sharedFiles.some((f) => under(f, 'protocol'))).toBe(true)
  })

  test('[C0] [P2] no node: or Node built-in module is imported', () => {
    for (const file of sharedFiles) {
      for (const s of specifiers(file)) expect(NODE_BUILTINS.has(s), `${rel(file)} imports ${s}`).toBe(false)
    }
  })

  test('[C0] [P2] no DOM-only global is used', () => {
    for (const file of sharedFiles) expect(DOM_ONLY.exec(code(file))?.[0], rel(file)).toBeUndefined()
  })
})

describe('crypto is one folder (STYLE: crypto as an ambient utility is a trap)', () => {
  const all = ['crypto', 'protocol', 'sync-server', 'client', 'tests', 'bench'].flatMap((f) => walk(join(ROOT, f)))

  test('[C0] only files under crypto/ import tweetnacl or @noble/hashes (crypto tests may, as a reference)', () => {
    for (const file of all) {
      if (under(file, 'crypto') || under(file, join('tests', 'crypto'))) continue
      for (const s of specifiers(file)) {
        expect(s === 'tweetnacl' || s.startsWith('@noble/'), `${rel(file)} imports ${s}`).toBe(false)
      }
    }
  })
})

describe('layers import one way (no cycles)', () => {
  /** Strongly connected groups of more than one file among `files`, through relative imports. */
  function cycles(files: string[]): string[][] {
    const deps = new Map(files.map((f) => [f, specifiers(f).filter((s) => s.startsWith('.')).map((s) => resolveRelative(f, s))]))
    const index = new Map<string, number>()
    const low = new Map<string, number>()
    const stack: string[] = []
    const out: string[][] = []
    const visit = (v: string) => {
      index.set(v, index.size)
      low.set(v, index.get(v)!)
      stack.push(v)
      for (const w of deps.get(v) ?? []) {
        if (!deps.has(w)) continue
        if (!index.has(w)) visit(w), low.set(v, Math.min(low.get(v)!, low.get(w)!))
        else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
      }
      if (low.get(v) !== index.get(v)) return
      const group: string[] = []
      for (let w = stack.pop(); w; w = w === v ? undefined : stack.pop()) group.push(rel(w))
      if (group.length > 1) out.push(group)
    }
    for (const f of files) if (!index.has(f)) visit(f)
    return out
  }

  test('no import cycle in crypto/, protocol/, sync-server/ or client/ (the engine and its parts, the Messenger and its parts included)', () => {
    for (const folder of ['crypto', 'protocol', 'sync-server', 'client']) expect(cycles(walk(join(ROOT, folder))), folder).toEqual([])
  })
})
