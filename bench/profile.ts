import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'

/**
 * A V8 CPU profile of one region of a benchmark process (what `node --cpu-prof` records for the
 * whole process, limited to the measured part: no imports, no setup). The file is a
 * `.cpuprofile` that Chrome DevTools opens and bench/cpuprofile.ts summarises.
 */
export interface Profiling {
  stop(file: string): Promise<void>
}

export async function startProfile(samplingIntervalUs = 500): Promise<Profiling> {
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: samplingIntervalUs })
  await session.post('Profiler.start')
  return {
    async stop(file) {
      const { profile } = await session.post('Profiler.stop')
      writeFileSync(file, JSON.stringify(profile))
      session.disconnect()
    },
  }
}

/** Profiles `run` when `file` is given; otherwise just runs it. */
export async function profiled<T>(file: string | undefined, run: () => Promise<T>): Promise<T> {
  const p = file ? await startProfile() : undefined
  try {
    return await run()
  } finally {
    await p?.stop(file!)
  }
}
