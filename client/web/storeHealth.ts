/**
 * Detects a lost local store: IndexedDB can be evicted or cleared by the browser. A marker in
 * localStorage (a separate store the same clearing usually removes too, but eviction of
 * IndexedDB alone does not) remembers that this browser had a device identity. When the marker
 * is there and the identity is not, the person is told what happened instead of silently
 * starting over.
 */
const MARKER = 'fieldchat.device'

export interface StoreHealth {
  /** This browser had an identity that is gone now. */
  readonly lost: boolean
  /** Stored records that could not be read and were set aside. */
  readonly corrupt: number
}

export function checkStoreHealth(deviceId: string | undefined, corrupt: readonly string[]): StoreHealth {
  let lost = false
  try {
    const marker = localStorage.getItem(MARKER)
    if (deviceId) localStorage.setItem(MARKER, deviceId)
    else lost = marker !== null
  } catch {
    // localStorage unavailable (private mode): nothing to compare with
  }
  return { lost, corrupt: corrupt.length }
}

/** Called once a new identity exists, so a later loss can be detected. */
export function rememberDevice(deviceId: string): void {
  try {
    localStorage.setItem(MARKER, deviceId)
  } catch {
    // ignore
  }
}
