/** Message times: the clock time today, the date and time before today; in the person's locale. */
export function formatTime(ts: number, now = Date.now()): string {
  const d = new Date(ts)
  const sameDay = new Date(now).toDateString() === d.toDateString()
  return sameDay
    ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleString(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' })
}
