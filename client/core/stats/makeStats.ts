import type { ConvId } from '../../../protocol/index.js'
import type { Calls } from '../calls/calls.js'
import type { Emitter } from '../events.js'
import type { MessengerEvents } from '../messengerTypes.js'
import type { HybridClock } from '../documents/hlc.js'
import type { Identity } from '../identity.js'
import type { Parts } from '../parts.js'
import type { LocalStore } from '../storage/LocalStore.js'
import { Stats } from './stats.js'
import type { ReportTiming } from './reporter.js'

/** How often a running device looks for tokens to ask for and reports to send ([Q3]). */
export const STATS_TICK_MS = 3_600_000

/**
 * [Q1][Q3] Usage statistics over the Messenger's parts: statistics mail from the mailbox, a
 * look for due reports on every connection, hourly, and soon after a membership or policy
 * change; mail out through the mail outbox with the organisation's decoys ([M27]), so a report
 * leaves like any other item. What the person does is counted by the Messenger (`record`).
 * `detach` stops it (the parts are made again after a wipe).
 */
export function makeStats(parts: Parts, opts: { store: LocalStore; identity: Identity; clock: HybridClock; calls: Calls; events: Emitter<MessengerEvents>; app?: { readonly version: string; readonly platform: string }; timing?: ReportTiming }): { stats: Stats; detach: () => void } {
  const stats = new Stats({
    store: opts.store,
    keys: opts.identity.keys,
    team: parts.team,
    now: () => opts.clock.wallNow(),
    send: (org: ConvId, mailbox, body, until) => {
      const pool = parts.team.orgState(org)?.decoySeed
      return parts.mailOut.add([{ to: [mailbox], body, ...(pool ? { pool } : {}), org, ...(until !== undefined ? { until } : {}) }]).then(() => void parts.engine.flushMail().catch(() => undefined))
    },
    version: opts.app?.version ?? 'unknown',
    platform: opts.app?.platform ?? 'unknown',
    ...(opts.timing ? { timing: opts.timing } : {}),
    online: () => parts.engine.state === 'online',
    storage: (org, signal) => parts.files.storage(org, signal),
  })
  parts.otherMail = (body) => stats.onMail(body)
  const tick = () => void stats.tick().catch((err: unknown) => console.warn('usage statistics: a report could not be prepared', err))
  let soon: ReturnType<typeof setTimeout> | undefined
  const tickSoon = () => {
    clearTimeout(soon)
    soon = setTimeout(tick, 1000)
    ;(soon as { unref?: () => void }).unref?.()
  }
  const timer = setInterval(tick, STATS_TICK_MS)
  ;(timer as { unref?: () => void }).unref?.()
  const offs = [
    parts.engine.events.on('state', (s) => s === 'online' && tickSoon()),
    opts.events.on('conversations', tickSoon),
    // [Q2] Calls: one started here, and the minutes this device was in one.
    opts.calls.events.on('ended', (e) => {
      const minutes = e.joinedAt !== undefined && e.peersSeen.length ? Math.ceil((e.endedAt - e.joinedAt) / 60_000) : 0
      void stats.record(e.conv, { calls: e.startedHere ? 1 : 0, callMinutes: minutes }).catch(() => undefined)
    }),
  ]
  return {
    stats,
    detach: () => {
      stats.stop()
      clearTimeout(soon)
      clearInterval(timer)
      offs.forEach((off) => off())
      parts.otherMail = undefined
    },
  }
}
