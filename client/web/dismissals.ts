/**
 * [W12] Notices a person dismissed, remembered in localStorage per kind with the situation they
 * described (a count, a state): a notice comes back only when its situation changes, and a
 * situation that ended forgets the dismissal (the next one is shown again).
 */
const PREFIX = 'fieldchat.dismissed.'

export function isDismissed(kind: string, situation: string): boolean {
  try {
    return localStorage.getItem(PREFIX + kind) === situation
  } catch {
    return false // no localStorage (private mode): shown, dismissible for this visit
  }
}

export function rememberDismissed(kind: string, situation: string): void {
  try {
    localStorage.setItem(PREFIX + kind, situation)
  } catch {
    // ignore: dismissed for this visit only
  }
}

/** The situation is over (no notice to show): a later one is shown again. */
export function forgetDismissed(kind: string): void {
  try {
    localStorage.removeItem(PREFIX + kind)
  } catch {
    // ignore
  }
}
