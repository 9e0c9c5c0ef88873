/**
 * Where a V8 CPU profile's time went: self time per function and per area (the engine's folders,
 * Automerge's wasm, SQLite, GC), from a `.cpuprofile` (node --cpu-prof, or bench/profile.ts).
 *
 *   npx tsx bench/cpuprofile.ts FILE.cpuprofile [TOP=25] [--json]
 */
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import * as z from 'zod'

const profileSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }),
      children: z.array(z.number()).optional(),
    }),
  ),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
})

export interface SelfTime {
  readonly name: string
  readonly ms: number
  readonly share: number
}

export interface Summary {
  readonly totalMs: number
  readonly functions: SelfTime[]
  readonly areas: SelfTime[]
  /** Our own functions (client/, crypto/, protocol/) by inclusive time: which engine call the time is spent under. */
  readonly oursInclusive: SelfTime[]
  /** Automerge's and automerge-repo's JS API by inclusive time (their calls into wasm lose our frames when async). */
  readonly automergeInclusive: SelfTime[]
}

const OURS = /\/(client|crypto|protocol)\//
const AUTOMERGE_API = /node_modules\/@automerge\/automerge(-repo)?\/dist\/(?!.*wasm_bindgen)/

/** The part of the code a frame belongs to: a folder of ours, a package, or V8's own buckets. */
export function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : functionName.startsWith('wasm') || /^\$?[a-z_]+::/.test(functionName) ? 'wasm' : '(native)'
  if (url.startsWith('wasm://')) return 'wasm (automerge)'
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg) return pkg[1]!
  const ours = /\/(client\/[^/]+\/[^/]+|crypto|protocol|sync-server|bench)\//.exec(url)
  if (ours) return ours[1]!
  if (url.startsWith('node:')) return 'node:internal'
  return url.replace(/^.*\//, '')
}

export function summarise(raw: unknown, top = 25): Summary {
  const p = profileSchema.parse(raw)
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const fn = new Map<string, number>()
  const area = new Map<string, number>()
  const inclusive = new Map<string, number>()
  const apiInclusive = new Map<string, number>()
  let totalUs = 0
  p.samples.forEach((id, i) => {
    const us = p.timeDeltas[i] ?? 0
    const node = byId.get(id)
    if (!node || node.callFrame.functionName === '(idle)') return
    totalUs += us
    fn.set(nameOf(node.callFrame), (fn.get(nameOf(node.callFrame)) ?? 0) + us)
    const a = areaOf(node.callFrame.url, node.callFrame.functionName)
    area.set(a, (area.get(a) ?? 0) + us)
    const onStack = new Set<string>()
    const apiOnStack = new Set<string>()
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const f = byId.get(id)!.callFrame
      if (OURS.test(f.url)) onStack.add(nameOf(f))
      if (AUTOMERGE_API.test(f.url)) apiOnStack.add(nameOf(f))
    }
    for (const name of onStack) inclusive.set(name, (inclusive.get(name) ?? 0) + us)
    for (const name of apiOnStack) apiInclusive.set(name, (apiInclusive.get(name) ?? 0) + us)
  })
  const list = (m: Map<string, number>) =>
    [...m]
      .sort((x, y) => y[1] - x[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, share: Math.round((us / totalUs) * 1000) / 10 }))
  return { totalMs: Math.round(totalUs / 1000), functions: list(fn), areas: list(area), oursInclusive: list(inclusive), automergeInclusive: list(apiInclusive) }
}

/** A frame as `function file:line`, without the crate hashes Rust puts in wasm names. */
function nameOf(f: { functionName: string; url: string; lineNumber: number }): string {
  const short = f.url.replace(/^.*\/(node_modules\/)/, '$1').replace(/^.*?\/(client|crypto|protocol|bench|sync-server)\//, '$1/').replace(/^wasm:\/\/.*$/, 'wasm')
  const fn = (f.functionName || '(anonymous)').replace(/\[[0-9a-f]{16}\]/g, '')
  return `${fn.length > 160 ? `${fn.slice(0, 157)}...` : fn}${f.url ? ` ${short}${short === 'wasm' ? '' : `:${f.lineNumber + 1}`}` : ''}`
}

export function format(s: Summary): string {
  const rows = (l: SelfTime[]) => l.map((r) => `  ${String(r.share).padStart(5)}%  ${String(r.ms).padStart(9)} ms  ${r.name}`).join('\n')
  return `sampled ${s.totalMs} ms (idle excluded)\nby area (self time):\n${rows(s.areas)}\ntop functions (self time):\n${rows(s.functions)}\nour functions (inclusive time):\n${rows(s.oursInclusive)}\nautomerge / automerge-repo API (inclusive time):\n${rows(s.automergeInclusive)}`
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, topArg, ...rest] = process.argv.slice(2)
  if (!file) throw new Error('usage: npx tsx bench/cpuprofile.ts FILE.cpuprofile [TOP] [--json]')
  const s = summarise(JSON.parse(readFileSync(file, 'utf8')), Number(topArg ?? 25) || 25)
  console.log([topArg, ...rest].includes('--json') ? JSON.stringify(s) : format(s))
}
