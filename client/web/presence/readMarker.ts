import { createEffect, createSignal, onCleanup, type Accessor } from 'solid-js'

/** [W22] How long the person must be looking before the conversation is marked read. */
export const READ_AFTER_MS = 500

/** The tab is shown and has the keyboard focus: the person can be reading it. */
function canSee(): boolean {
  return document.visibilityState === 'visible' && document.hasFocus()
}

/**
 * [W22] Marks a conversation read once its newest messages are in front of the person: the tab
 * visible and focused, the log at the bottom, unread messages there, all of it for READ_AFTER_MS
 * (or until the conversation is left, if sooner). Never while the tab is hidden or another window
 * has the focus. Call inside a component.
 */
export function createReadMarker(opts: { atEnd: Accessor<boolean>; unread: Accessor<number>; markRead: () => Promise<void> }): void {
  const [seeing, setSeeing] = createSignal(canSee())
  const update = () => setSeeing(canSee())
  document.addEventListener('visibilitychange', update)
  window.addEventListener('focus', update)
  window.addEventListener('blur', update)
  let timer: ReturnType<typeof setTimeout> | undefined
  const cancel = () => {
    clearTimeout(timer)
    timer = undefined
  }
  onCleanup(() => {
    // Leaving while a mark waits (the newest messages were in front of the person, maybe under
    // READ_AFTER_MS because more kept arriving): they were seen, so they are marked now rather
    // than left unread (reopening would start at them, [W24]).
    if (timer !== undefined && canSee() && opts.atEnd() && opts.unread() > 0) void opts.markRead().catch(() => undefined)
    cancel()
    document.removeEventListener('visibilitychange', update)
    window.removeEventListener('focus', update)
    window.removeEventListener('blur', update)
  })
  createEffect(() => {
    if (!(seeing() && opts.atEnd() && opts.unread() > 0)) return cancel()
    // Already counting since the person began looking: a message arriving meanwhile does not
    // start the count again (a busy group, one message every few hundred ms, would never be read).
    if (timer !== undefined) return
    timer = setTimeout(() => {
      timer = undefined
      // Checked again when it fires: the tab may have been hidden in between without an event reaching us yet.
      if (canSee() && opts.atEnd() && opts.unread() > 0) void opts.markRead().catch(() => undefined)
    }, READ_AFTER_MS)
  })
}
