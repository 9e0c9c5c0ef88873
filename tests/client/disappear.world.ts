import * as A from '@automerge/automerge'
import { HybridClock } from '../../client/core/documents/hlc.js'
import type { SegmentDoc } from '../../client/core/documents/model.js'
import type { ConvId, DocId } from '../../protocol/index.js'
import type { Persona } from '../integration/helpers/clients.js'
import { useServer } from '../integration/helpers/lifecycle.js'
import type { ServerProcess } from '../integration/helpers/serverProcess.js'

/**
 * [M65]–[M68] Personas for the disappearing-messages tests: each device reads one injected wall
 * clock (`wall.t`), which a test moves forward instead of waiting, through the real server.
 */
export const wall = { t: Date.now() }

export function useClockedServer(): { server: () => ServerProcess; persona: (name: string, segmentCapacity?: number) => Promise<Persona> } {
  const env = useServer()
  return {
    server: env.server,
    persona: (name, segmentCapacity) =>
      env.persona(name, { clock: new HybridClock(() => wall.t), search: { startDelayMs: 0, saveDelayMs: 50 }, ...(segmentCapacity ? { segmentCapacity } : {}) }),
  }
}

/** The segment document's state as Automerge holds it on a device (A.toJS), as JSON. */
export async function docState(p: Persona, seg: DocId): Promise<string> {
  const docs = (p.messenger as unknown as { p: { docs: { doc<T>(id: DocId): Promise<A.Doc<T> | undefined> } } }).p.docs
  const doc = await docs.doc<SegmentDoc>(seg)
  return doc ? JSON.stringify(A.toJS(doc)) : ''
}

/** A modified client: its messages carry `exp` = ts + `seconds`, whatever the policy says. */
export function ignorePolicy(p: Persona, seconds: number): void {
  const timers = (p.messenger as unknown as { p: { log: { timers: { expOf(conv: ConvId, ts: number): number | undefined } } } }).p.log.timers
  timers.expOf = (_conv, ts) => ts + seconds * 1000
}
