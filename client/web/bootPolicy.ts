/**
 * [W39] Whether the first paint at launch may show a conversation before the engine has loaded
 * the organisations' policies. An organisation may require an app lock ([M29], [T21]); while none
 * is set the app hides every conversation behind the lock settings, so the paint must not show
 * one either. It is allowed when the person has just unlocked the store (a lock is set), or when
 * the last run of the app found that no organisation requires a lock. The last run's answer is
 * one flag in localStorage: no content, and absent (no paint) until the app has run once.
 */
const KEY = 'fieldchat.lockRequired'

export function previewAllowed(unlocked: boolean): boolean {
  if (unlocked) return true
  try {
    return localStorage.getItem(KEY) === '0'
  } catch {
    return false
  }
}

/** What the running app learned of the organisations' policies, for the next launch. */
export function rememberLockPolicy(required: boolean): void {
  try {
    localStorage.setItem(KEY, required ? '1' : '0')
  } catch {
    // No storage for it: the next launch paints nothing early, as on a first run.
  }
}
