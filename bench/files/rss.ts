import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * Peak resident memory of another process, in MiB (the house's "MB", as bench/procs.ts): the
 * kernel's own high-water mark (VmHWM), which only grows, so a reading taken late is the peak
 * so far and no spike between two readings is missed.
 */
export function vmHwmMb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : undefined
  } catch {
    return undefined // gone, or a zombie (its status has no memory lines)
  }
}

/**
 * Reads VmHWM every `everyMs` while the process lives; `stop()` gives the highest reading. For a
 * process that exits by itself the last reading can come a little before its end: pair it with
 * RSS_AT_EXIT, which the process reports itself.
 */
export function watchPeakRss(pid: number, everyMs = 20): { stop(): number } {
  let peak = vmHwmMb(pid) ?? 0
  const timer = setInterval(() => (peak = Math.max(peak, vmHwmMb(pid) ?? 0)), everyMs)
  return {
    stop() {
      clearInterval(timer)
      return Math.max(peak, vmHwmMb(pid) ?? 0)
    },
  }
}

/**
 * A module a child preloads (`node --import`) that writes its own peak RSS
 * (`process.resourceUsage().maxRSS`, KiB) to $BENCH_RSS_FILE when it exits, `process.exit()` included.
 */
export const RSS_AT_EXIT = fileURLToPath(new URL('./rssAtExit.mjs', import.meta.url))

export function rssAtExitMb(file: string): number | undefined {
  try {
    const kib = Number(readFileSync(file, 'utf8'))
    return Number.isFinite(kib) && kib > 0 ? kib / 1024 : undefined
  } catch {
    return undefined
  }
}
