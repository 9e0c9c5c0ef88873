import type { BenchPerson } from './people.js'

/**
 * One call's set-up time, measured inside the caller's page: from pressing "Video call" to the
 * first remote video frame presented (`requestVideoFrameCallback` on the first remote video),
 * the callee accepting at once (autoAccept). Then the caller hangs up and the bench waits until
 * both sides are out of the call.
 */
export async function setupMs(caller: BenchPerson, callee: BenchPerson): Promise<number> {
  const ms = await caller.page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const button = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Video call')
        if (!button) return reject(new Error('no Video call button'))
        const t0 = performance.now()
        const timer = setTimeout(() => reject(new Error('no remote frame within 30 s')), 30_000)
        const look = () => {
          const v = document.querySelector('video[data-remote]') as HTMLVideoElement | null
          if (!v) return void setTimeout(look, 5)
          v.requestVideoFrameCallback((now) => {
            clearTimeout(timer)
            resolve(now - t0)
          })
        }
        button.click()
        look()
      }),
  )
  await caller.page.getByRole('region', { name: /^Call in / }).getByRole('button', { name: 'Hang up' }).first().click()
  for (const p of [caller, callee]) await p.page.getByRole('region', { name: /^Call in / }).waitFor({ state: 'detached', timeout: 30_000 })
  // The callee's device hears the end within a heartbeat or two; the next call must not find it.
  await callee.page.waitForFunction(() => ![...document.querySelectorAll('button')].some((b) => b.textContent?.trim() === 'Join call'), undefined, { timeout: 30_000 })
  return ms
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}
