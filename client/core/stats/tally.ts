import * as z from 'zod'
import type { LocalStore } from '../storage/LocalStore.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'
import { ZERO_COUNTS, addCounts, countsSchema, type Counts } from './counts.js'
import { addDays, monthOf, weekOf, type Day } from './days.js'

/** Tallies older than this are deleted, reported or not: nothing of a person's days stays longer. */
export const KEEP_TALLY_DAYS = 40

/** At most this many groups are tallied a day ([Q9]); activity in more counts for the organisation only. */
export const MAX_GROUPS_A_DAY = 15
const recordSchema = z.object({ c: countsSchema, g: z.record(z.string().max(40), z.number().int().min(0)).optional(), reported: z.boolean().optional() })
const key = (org: string, day: Day) => ['stats-tally', org, day]

/**
 * [Q1] This device's own counts of its person's days, per organisation and UTC day, in its
 * local store (at rest like everything else, client/web [W3]): what a report of that day will
 * say ([Q4]). The first activity of a day also marks whether it is the first of its week and of
 * its month, from the tallies still kept. Writes of one device are in order (one queue).
 */
export class Tally {
  private turn: Promise<unknown> = Promise.resolve()

  constructor(private readonly store: LocalStore) {}

  /**
   * Adds to today's counts in `org`; any count makes the person active that day. `group`: it
   * happened in that group of the organisation ([Q9]): its messages are counted for the group too.
   */
  add(org: string, today: Day, delta: Partial<Counts>, group?: string): Promise<void> {
    return this.queue(async () => {
      const was = await this.read(org, today)
      const groups = { ...(was?.g ?? {}) }
      if (group && (group in groups || Object.keys(groups).length < MAX_GROUPS_A_DAY)) groups[group] = (groups[group] ?? 0) + (delta.messages ?? 0)
      let next = addCounts(was?.c ?? ZERO_COUNTS, delta)
      if (!next.active) {
        const activeBefore = async (from: Day) => {
          for (let d = addDays(today, -1); d >= from; d = addDays(d, -1)) if ((await this.read(org, d))?.c.active) return true
          return false
        }
        next = { ...next, active: 1, activeWeek: (await activeBefore(weekOf(today))) ? 0 : 1, activeMonth: (await activeBefore(`${monthOf(today)}-01`)) ? 0 : 1 }
      }
      await this.store.write([{ key: key(org, today), value: encodeRecord({ c: next, ...(Object.keys(groups).length ? { g: groups } : {}), ...(was?.reported ? { reported: true } : {}) }) }])
    })
  }

  /** Days before `today` with counts not reported yet, oldest first, with the messages of each group the person was active in. */
  async unreported(org: string, today: Day): Promise<{ day: Day; counts: Counts; groups: Readonly<Record<string, number>> }[]> {
    const rows = await this.store.range(['stats-tally', org])
    const out: { day: Day; counts: Counts; groups: Readonly<Record<string, number>> }[] = []
    for (const r of rows) {
      const day = r.key[2]!
      const rec = decodeRecord(r.value, recordSchema)
      if (rec && !rec.reported && day < today) out.push({ day, counts: rec.c, groups: rec.g ?? {} })
    }
    return out.sort((a, b) => (a.day < b.day ? -1 : 1))
  }

  /** Today's and the days' counts so far (for what this device would say: the page "What your admins can see"). */
  async counts(org: string, day: Day): Promise<Counts> {
    return (await this.read(org, day))?.c ?? ZERO_COUNTS
  }

  markReported(org: string, day: Day): Promise<void> {
    return this.queue(async () => {
      const rec = await this.read(org, day)
      if (rec) await this.store.write([{ key: key(org, day), value: encodeRecord({ c: rec.c, reported: true }) }])
    })
  }

  /** Deletes tallies older than {@link KEEP_TALLY_DAYS}. */
  prune(org: string, today: Day): Promise<void> {
    return this.queue(async () => {
      const oldest = addDays(today, -KEEP_TALLY_DAYS)
      const rows = await this.store.range(['stats-tally', org])
      const old = rows.filter((r) => r.key[2]! < oldest)
      if (old.length) await this.store.write(old.map((r) => ({ key: r.key, value: undefined })))
    })
  }

  private async read(org: string, day: Day): Promise<z.infer<typeof recordSchema> | undefined> {
    const bytes = await this.store.get(key(org, day))
    return bytes && decodeRecord(bytes, recordSchema)
  }

  private queue<T>(work: () => Promise<T>): Promise<T> {
    const next = this.turn.then(work, work)
    this.turn = next.catch(() => undefined)
    return next
  }
}
