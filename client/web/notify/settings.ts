import { openDB } from 'idb'
import type { NotificationLevel } from './levels.js'

/**
 * [M61] The person's notification choices, on this device only (localStorage): how much a
 * notification shows, and muted conversations. Parsed when read: anything else is the default.
 * [M62] The service worker has no localStorage: a copy is kept in IndexedDB for its wakes,
 * written with every change and at every start of the page.
 */
export interface NotifySettings {
  /** The person pressed "Turn on notifications" here (a permission granted elsewhere is not a choice made here). */
  readonly enabled: boolean
  readonly level: NotificationLevel
  readonly muted: readonly string[]
}

const KEY = 'fieldchat.notifications'
const DEFAULT: NotifySettings = { enabled: false, level: 'content', muted: [] }
const MIRROR_DB = 'fieldchat-prefs'
const MIRROR_STORE = 'prefs'

/** Storage is a trust boundary: what is not a setting becomes the default. */
export function parseNotifySettings(raw: unknown): NotifySettings {
  if (!raw || typeof raw !== 'object') return DEFAULT
  const r = raw as { enabled?: unknown; level?: unknown; muted?: unknown }
  const level = r.level === 'content' || r.level === 'sender' || r.level === 'none' ? r.level : DEFAULT.level
  const muted = Array.isArray(r.muted) ? r.muted.filter((c): c is string => typeof c === 'string' && c.length <= 64).slice(0, 1000) : []
  return { enabled: r.enabled === true, level, muted }
}

export function loadNotifySettings(): NotifySettings {
  try {
    return parseNotifySettings(JSON.parse(localStorage.getItem(KEY) ?? 'null'))
  } catch {
    return DEFAULT
  }
}

/** Saves the choice; the returned promise settles once the service worker's copy has it too. */
export function saveNotifySettings(s: NotifySettings): Promise<void> {
  localStorage.setItem(KEY, JSON.stringify(s))
  return mirrorNotifySettings(s)
}

const prefs = () => openDB(MIRROR_DB, 1, { upgrade: (d) => void d.createObjectStore(MIRROR_STORE) })

/** Copies in the order they were asked for: two quick changes (mute, unmute) never land the older one last. */
let mirroring: Promise<void> = Promise.resolve()

/** [M62] The copy the service worker reads; a failure leaves its last copy (or the default: off). */
export function mirrorNotifySettings(s: NotifySettings): Promise<void> {
  const json = JSON.stringify(s)
  mirroring = mirroring.then(async () => {
    try {
      const db = await prefs()
      await db.put(MIRROR_STORE, json, KEY).finally(() => db.close())
    } catch (err) {
      console.warn('notification settings could not be copied for the service worker', err)
    }
  })
  return mirroring
}

/** [M62] The service worker's read of the copy (it has no localStorage). */
export async function loadMirroredNotifySettings(): Promise<NotifySettings> {
  try {
    const db = await prefs()
    const raw: unknown = await db.get(MIRROR_STORE, KEY).finally(() => db.close())
    return typeof raw === 'string' ? parseNotifySettings(JSON.parse(raw)) : DEFAULT
  } catch {
    return DEFAULT
  }
}
