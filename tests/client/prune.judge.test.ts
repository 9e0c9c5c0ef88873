import { describe, expect, test } from 'vitest'
import type { DeviceId, DocId } from '../../protocol/index.js'
import type { ActionView } from '../../client/core/documents/actions.js'
import type { MessageView } from '../../client/core/documents/model.js'
import type { TimerView } from '../../client/core/documents/timer.js'
import type { MessageRef } from '../../client/core/documents/messageRef.js'
import { UNKNOWN_RETRY_MS, judgeSegment, type JudgeContext, type TargetState } from '../../client/core/prune/judge.js'

/** [M71] The pure rule: which segments hold only expired entries, and when to look again. */
const SEG = 'seg' as DocId
const ME = 'alice' as DeviceId
const NOW = 1_000_000_000
const msg = (id: string, ts: number, exp?: number): MessageView => ({ id, ref: `${SEG}.${id}` as MessageRef, tag: id, segment: SEG, author: ME, ts, text: id, ...(exp !== undefined ? { exp } : {}) })
const react = (id: string, target: string): ActionView => ({ id, segment: SEG, author: ME, ts: NOW - 10, target, targetSeg: SEG, kind: 'react', emoji: '👍' })
const timer = (id: string, ts: number): TimerView => ({ id, segment: SEG, author: ME, ts, seconds: 300 })
const ctx = (over: Partial<JudgeContext> = {}): JudgeContext => ({ now: NOW, orgMax: undefined, newestTimerTs: -Infinity, target: () => ({ expired: true }), ...over })

describe('[M71] judgeSegment', () => {
  test('[M71] only expired messages (exp ≤ now, [M67]): drop; an empty segment: drop', () => {
    expect(judgeSegment({ messages: [msg('a', 1, NOW), msg('b', 2, NOW - 5)], actions: [], timers: [] }, ctx())).toEqual({ drop: true })
    expect(judgeSegment({ messages: [], actions: [], timers: [] }, ctx())).toEqual({ drop: true })
  })

  test('[M71] a live message keeps it until the latest expiry; one that never expires, for ever (until it changes)', () => {
    expect(judgeSegment({ messages: [msg('a', 1, NOW + 5), msg('b', 2, NOW + 9), msg('c', 3, NOW)], actions: [], timers: [] }, ctx())).toEqual({ drop: false, lookAgainAt: NOW + 9 })
    expect(judgeSegment({ messages: [msg('a', 1, NOW), msg('b', 2)], actions: [], timers: [] }, ctx())).toEqual({ drop: false, lookAgainAt: Infinity })
  })

  test('[M71][T21] the organisation\'s maximum caps every message: one with no exp (an older client) or a longer one (a modified client) expires at ts + max', () => {
    const entries = { messages: [msg('a', NOW - 3_600_000), msg('b', NOW - 3_600_000, NOW + 86_400_000)], actions: [], timers: [] }
    expect(judgeSegment(entries, ctx({ orgMax: 3600 }))).toEqual({ drop: true })
    expect(judgeSegment(entries, ctx({ orgMax: 7200 }))).toEqual({ drop: false, lookAgainAt: NOW + 3_600_000 })
  })

  test('[M71] a reaction or pin keeps it while its target is shown; one on an expired target does not; an unknown target is looked at again in a minute', () => {
    const entries = { messages: [msg('a', 1, NOW)], actions: [react('r', 'x')], timers: [] }
    const target = (t: TargetState) => ctx({ target: () => t })
    expect(judgeSegment(entries, target({ expired: true }))).toEqual({ drop: true })
    expect(judgeSegment(entries, target({ expired: false, at: NOW + 77 }))).toEqual({ drop: false, lookAgainAt: NOW + 77 })
    expect(judgeSegment(entries, target({ expired: false, at: Infinity }))).toEqual({ drop: false, lookAgainAt: Infinity })
    expect(judgeSegment(entries, target('unknown'))).toEqual({ drop: false, lookAgainAt: NOW + UNKNOWN_RETRY_MS })
  })

  test('[M71][M66] a timer entry goes only when the writable segment holds it or a later one (its copy): the conversation\'s timer does not change', () => {
    const entries = { messages: [msg('a', 1, NOW)], actions: [], timers: [timer('t', 500)] }
    expect(judgeSegment(entries, ctx({ newestTimerTs: 500 }))).toEqual({ drop: true })
    expect(judgeSegment(entries, ctx({ newestTimerTs: 900 }))).toEqual({ drop: true })
    expect(judgeSegment(entries, ctx({ newestTimerTs: 499 }))).toEqual({ drop: false, lookAgainAt: Infinity, timerHeld: true })
    expect(judgeSegment(entries, ctx())).toEqual({ drop: false, lookAgainAt: Infinity, timerHeld: true })
  })
})
