import { describe, expect, test } from 'vitest'
import type { ConvId, DeviceId, DocId } from '../../protocol/index.js'
import type { MessageView } from '../../client/core/documents/model.js'
import type { MessageRef } from '../../client/core/documents/messageRef.js'
import type { SegmentEntries } from '../../client/core/prune/entries.js'
import { DROPS_PER_PASS, Pruner, READS_PER_PASS, type PrunerDeps } from '../../client/core/prune/pruner.js'
import type { ConvVerdicts } from '../../client/core/prune/verdicts.js'

/** [M71] The pruner's pass over fake segments: bounded work, verdicts kept across starts. */
const CONV = 'conv' as ConvId
const NOW = 1_000_000_000
const seg = (i: number) => `seg${i}` as DocId
const msg = (s: DocId, exp?: number): MessageView => ({ id: `1@${s}`, ref: `${s}.1@x` as MessageRef, tag: s, segment: s, author: 'a' as DeviceId, ts: 1, text: 't', ...(exp !== undefined ? { exp } : {}) })

function world(count: number, entriesOf: (s: DocId) => SegmentEntries, saved = new Map<ConvId, ConvVerdicts>()) {
  const reads: DocId[] = []
  const dropped: DocId[] = []
  const state = { orgMax: undefined as number | undefined, now: NOW }
  const deps: PrunerDeps = {
    conversations: () => [CONV],
    segmentsOf: () => Array.from({ length: count }, (_, i) => ({ index: i, id: seg(i), start: i })),
    writable: () => seg(count - 1),
    isDropped: (s) => dropped.includes(s),
    caughtUp: () => true,
    cached: async () => undefined,
    stored: async (s) => (reads.push(s), entriesOf(s)),
    orgMax: () => state.orgMax,
    now: () => state.now,
    drop: async (_c, s) => void dropped.push(s),
    loadVerdicts: async () => new Map([...saved].map(([c, v]) => [c, { orgMax: v.orgMax, at: new Map(v.at) }])),
    saveVerdicts: async (c, v) => void saved.set(c, { orgMax: v.orgMax, at: new Map(v.at) }),
  }
  return { deps, reads, dropped, saved, state }
}

describe('[M71] the pruner', () => {
  test('[M71] a pass reads at most READS_PER_PASS segments from storage and asks to come back at once while work is left', async () => {
    const w = world(12, (s) => ({ messages: [msg(s)], actions: [], timers: [] })) // never expire
    const pruner = new Pruner(w.deps)
    expect(await pruner.pass()).toBe(NOW)
    expect(w.reads.length).toBeLessThanOrEqual(READS_PER_PASS)
    let passes = 1
    for (let more = true; more; passes++) more = (await pruner.pass()) === NOW
    expect(w.reads.sort()).toEqual(Array.from({ length: 11 }, (_, i) => seg(i)).sort()) // each older segment once; the writable one is never judged

    expect(passes).toBe(3) // 4, 4 and 3 reads
    expect(w.dropped).toEqual([])
  })

  test('[M71] a pass drops at most DROPS_PER_PASS segments; the writable one never', async () => {
    const w = world(12, (s) => ({ messages: [msg(s, NOW - 1)], actions: [], timers: [] }))
    const pruner = new Pruner(w.deps)
    let drops = 0
    for (let i = 0; i < 10 && (await pruner.pass()) === NOW; i++) {
      expect(w.dropped.length - drops).toBeLessThanOrEqual(DROPS_PER_PASS)
      drops = w.dropped.length
    }
    expect(w.dropped.sort()).toEqual(Array.from({ length: 11 }, (_, i) => seg(i)).sort())
  })

  test('[M71] verdicts are kept: a new start reads no kept segment again until its time, its change, or another organisation maximum', async () => {
    const w = world(3, (s) => ({ messages: [msg(s, s === seg(0) ? NOW + 5000 : undefined)], actions: [], timers: [] })) // segment 2: writable
    const first = new Pruner(w.deps)
    expect(await first.pass()).toBe(NOW + 5000)
    expect(w.reads.sort()).toEqual([seg(0), seg(1)])

    w.reads.length = 0
    const second = new Pruner(w.deps) // the next start
    expect(await second.pass()).toBe(NOW + 5000)
    expect(w.reads).toEqual([])
    second.changed(seg(1))
    await second.pass()
    expect(w.reads).toEqual([seg(1)])

    w.reads.length = 0
    w.state.now = NOW + 5000 // segment 0's message expires now
    await second.pass()
    expect(w.reads).toContain(seg(0))
    expect(w.dropped).toEqual([seg(0)])

    w.reads.length = 0
    w.state.orgMax = 3600 // a maximum now caps segment 1's message: judged again
    await new Pruner(w.deps).pass()
    expect(w.reads).toContain(seg(1))
    expect(w.dropped).toEqual([seg(0), seg(1)])
  })

  test('[M71] a change seen before the kept verdicts were read voids them', async () => {
    const w = world(2, (s) => ({ messages: [msg(s)], actions: [], timers: [] }))
    await new Pruner(w.deps).pass()
    w.reads.length = 0
    const next = new Pruner(w.deps)
    next.changed(seg(0)) // a backlog frame applied before the first pass
    await next.pass()
    expect(w.reads).toContain(seg(0))
  })
})
