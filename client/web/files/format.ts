/** Sizes as people read them: 512 B, 48 KB, 3.2 MB, 1.5 GB (decimal units, as phones show them). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let v = n
  let unit = ''
  for (const u of units) {
    v /= 1000
    unit = u
    if (v < 1000) break
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${unit}`
}

/** A duration in seconds as m:ss (or h:mm:ss). */
export function formatDuration(s: number): string {
  const t = Math.max(0, Math.round(s))
  const h = Math.floor(t / 3600)
  const m = Math.floor((t % 3600) / 60)
  const sec = String(t % 60).padStart(2, '0')
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`
}

/** Whole percent of `done` in `total` (100 for an empty file). */
export const percent = (done: number, total: number): number => (total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100)

/** The kind of a type as a word: "PDF document" is more than we know; the subtype upper-cased is honest. */
export function typeLabel(type: string, name: string): string {
  const ext = /\.([A-Za-z0-9]{1,8})$/.exec(name)?.[1]
  if (ext) return ext.toUpperCase()
  const sub = type.split('/')[1]
  return sub ? sub.toUpperCase() : 'File'
}
