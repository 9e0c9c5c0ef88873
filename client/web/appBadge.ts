/** [W24] The document title with the unread total: "(3) FieldChat". */
export function unreadTitle(base: string, total: number): string {
  return total > 0 ? `(${total}) ${base}` : base
}

type Badging = { setAppBadge?: (count?: number) => Promise<void>; clearAppBadge?: () => Promise<void> }

/**
 * [W24] The unread total outside the page: the document title ("(3) FieldChat") and, where the
 * browser has the Badging API (an installed PWA), the app icon's badge.
 */
export function showUnreadTotal(total: number, base = 'FieldChat'): void {
  document.title = unreadTitle(base, total)
  const nav = navigator as Navigator & Badging
  const done = total > 0 ? nav.setAppBadge?.(total) : nav.clearAppBadge?.()
  // Refused (not installed, or not allowed here): the title still says it.
  done?.catch(() => undefined)
}
