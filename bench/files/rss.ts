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
 * A module a child preloads (`node --import`) that writes its own peak RSS and CPU time
 * (`process.resourceUsage()`) to $BENCH_RSS_FILE when it exits, `process.exit()` included.
 */
export const RSS_AT_EXIT = fileURLToPath(new URL('./rssAtExit.mjs', import.meta.url))

/** CPU time of a process, ms: in its own code (`user`) and in the kernel for it (`system`: copies into the page cache, sockets, syncs). */
export interface CpuMs {
  readonly user: number
  readonly system: number
}

/** What RSS_AT_EXIT wrote: peak RSS (MiB) and CPU time; undefined parts when it wrote nothing usable. */
export function usageAtExit(file: string): { peakRssMb?: number; cpuMs?: CpuMs } {
  try {
    const u: unknown = JSON.parse(readFileSync(file, 'utf8'))
    if (typeof u !== 'object' || u === null) return {}
    const { maxRssKib, userMs, systemMs } = u as Record<string, unknown>
    return {
      ...(typeof maxRssKib === 'number' && maxRssKib > 0 ? { peakRssMb: maxRssKib / 1024 } : {}),
      ...(typeof userMs === 'number' && typeof systemMs === 'number' ? { cpuMs: { user: userMs, system: systemMs } } : {}),
    }
  } catch {
    return {}
  }
}
