import { createSignal, type Accessor } from 'solid-js'
import { ClientError, ClientErrorCode } from '../core/errors.js'
import type { Messenger } from '../core/messenger.js'
import { atRestInfo, type AtRestInfo, type AtRestSecret } from '../core/storage/atRest.js'
import type { LocalStore } from '../core/storage/LocalStore.js'
import { setUnlockers } from './storageKey.js'

/**
 * [M29] The app lock while the app runs: what opens the store, the organisations' policy (team
 * [T21]), the auto-lock timer, and changing the lock. Locking closes the engine and reloads the
 * page, so no key, view or message stays in memory; the lock screen then asks for the secret.
 */
export interface AppLock {
  readonly info: Accessor<AtRestInfo>
  /** What this device's organisations require: a lock, and the longest idle time (0: none). */
  readonly policy: Accessor<{ requireLock: boolean; autoLockMinutes: number }>
  /** The person's own auto-lock time in minutes (0: never), before the policy's limit. */
  readonly chosenMinutes: Accessor<number>
  /** The auto-lock time in force (0: never; only a locked store locks itself). */
  readonly autoLockMinutes: Accessor<number>
  setChosenMinutes(minutes: number): void
  /**
   * Sets what opens the store: `next` (a passphrase, a passkey, or both) or nothing (no lock);
   * `current` is what opens it now (undefined: the device key, when not locked). M511 when an
   * organisation requires a lock and `next` is empty.
   */
  change(current: AtRestSecret | undefined, next: readonly AtRestSecret[]): Promise<void>
  lockNow(): Promise<void>
  /** Stops listening (the app restarts on another engine). */
  dispose(): void
}

const CHOSEN = 'fieldchat.autoLockMinutes'
const ACTIVITY = ['pointerdown', 'keydown', 'touchstart', 'wheel'] as const

export async function createAppLock(deps: { inner: LocalStore; messenger: Messenger; restart: (secret: AtRestSecret | undefined) => Promise<void> }): Promise<AppLock> {
  const { inner, messenger } = deps
  const [info, setInfo] = createSignal(await atRestInfo(inner))
  const devicePolicy = () => {
    if (!messenger.identity) return { requireLock: false, autoLockMinutes: 0 }
    const p = messenger.team.devicePolicy()
    return { requireLock: p.requireLock, autoLockMinutes: p.autoLockMinutes }
  }
  const [policy, setPolicy] = createSignal(devicePolicy(), { equals: (a, b) => a.requireLock === b.requireLock && a.autoLockMinutes === b.autoLockMinutes })
  const offPolicy = messenger.events.on('conversations', () => setPolicy(devicePolicy()))
  const stored = Number(localStorage.getItem(CHOSEN) ?? '5')
  const [chosenMinutes, setChosen] = createSignal(Number.isFinite(stored) && stored >= 0 ? stored : 5)
  const autoLockMinutes = () => {
    const limits = [chosenMinutes(), policy().autoLockMinutes].filter((m) => m > 0)
    return limits.length ? Math.min(...limits) : 0
  }

  let stopped = false
  const lockNow = async () => {
    if (stopped) return
    stopped = true
    await messenger.stop().catch(() => undefined)
    location.reload()
  }

  // Idle: no pointer or key for the auto-lock time (also while the page was hidden) locks a locked store.
  let last = Date.now()
  let timer: ReturnType<typeof setTimeout> | undefined
  const arm = () => {
    if (timer) clearTimeout(timer)
    const minutes = autoLockMinutes()
    if (!info().locked || minutes <= 0 || stopped) return
    const left = last + minutes * 60_000 - Date.now()
    if (left <= 0) return void lockNow()
    timer = setTimeout(arm, Math.min(left, 30_000) + 50)
  }
  const active = () => {
    last = Date.now()
  }
  for (const e of ACTIVITY) document.addEventListener(e, active, { passive: true, capture: true })
  document.addEventListener('visibilitychange', arm)
  arm()

  return {
    info,
    policy,
    chosenMinutes,
    autoLockMinutes,
    setChosenMinutes(minutes) {
      localStorage.setItem(CHOSEN, String(minutes))
      setChosen(minutes)
      arm()
    },
    async change(current, next) {
      if (!next.length && policy().requireLock) throw new ClientError(ClientErrorCode.LOCK_REQUIRED)
      stopped = true
      if (timer) clearTimeout(timer)
      await messenger.stop()
      try {
        await setUnlockers(inner, current, next)
      } catch (err) {
        // Nothing changed (a wrong current secret is M203): carry on as before.
        await deps.restart(current)
        throw err
      }
      setInfo(await atRestInfo(inner))
      await deps.restart(next[0])
    },
    lockNow,
    dispose() {
      if (timer) clearTimeout(timer)
      offPolicy()
      for (const e of ACTIVITY) document.removeEventListener(e, active, { capture: true })
      document.removeEventListener('visibilitychange', arm)
    },
  }
}
