/**
 * npm run bench:unlock — what a passphrase unlock costs ([R4], [R6]): Argon2id at the chosen
 * parameters (PASSPHRASE_KDF) in Node, and in Chromium (the same @noble/hashes code the app runs)
 * at full speed and with the CPU throttled 4× and 6× through DevTools (a mid-range and a low-end
 * phone's single core against this machine's, the usual rule of thumb). The floor it is judged
 * against: one second on the phone-class budget, what people accept for an app unlock (Signal's
 * and 1Password's unlocks sit around it). BENCH_RUNS (default 5) unlocks each, median reported.
 * Last line of stdout: JSON.
 */
import { build } from 'esbuild'
import { chromium } from 'playwright-core'
import { PASSPHRASE_KDF, stretchPassphrase } from '../crypto/index.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const salt = new Uint8Array(16).fill(7)
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

function nodeMs(): number {
  const times: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now()
    stretchPassphrase('correct horse battery staple', salt, PASSPHRASE_KDF)
    times.push(performance.now() - t0)
  }
  return median(times)
}

async function browserMs(): Promise<Record<string, number>> {
  const bundled = await build({ stdin: { contents: "export { stretchPassphrase, PASSPHRASE_KDF } from './crypto/atRest.ts'", resolveDir: process.cwd(), loader: 'ts' }, bundle: true, format: 'iife', globalName: 'FC', write: false, platform: 'browser', logLevel: 'warning' })
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] })
  try {
    const page = await browser.newPage()
    await page.setContent('<!doctype html><title>unlock</title>')
    await page.addScriptTag({ content: bundled.outputFiles[0]!.text })
    const cdp = await page.context().newCDPSession(page)
    const out: Record<string, number> = {}
    for (const rate of [1, 4, 6]) {
      await cdp.send('Emulation.setCPUThrottlingRate', { rate })
      const times = await page.evaluate(async (runs) => {
        const fc = (globalThis as unknown as { FC: { stretchPassphrase: (p: string, s: Uint8Array, k: unknown) => Uint8Array; PASSPHRASE_KDF: unknown } }).FC
        const ts: number[] = []
        for (let i = 0; i < runs; i++) {
          const t0 = performance.now()
          fc.stretchPassphrase('correct horse battery staple', new Uint8Array(16).fill(7), fc.PASSPHRASE_KDF)
          ts.push(performance.now() - t0)
        }
        return ts
      }, RUNS)
      out[`chromiumCpu${rate}xMs`] = Math.round(median(times))
    }
    return out
  } finally {
    await browser.close()
  }
}

const node = Math.round(nodeMs())
const chromiumTimes = await browserMs()
const floorMs = 1000
const phone = chromiumTimes.chromiumCpu4xMs!
const result = {
  bench: 'unlock',
  kdf: { alg: 'argon2id', ...PASSPHRASE_KDF, memoryKiB: PASSPHRASE_KDF.m },
  runs: RUNS,
  nodeMs: node,
  ...chromiumTimes,
  floor: { name: 'phone-class unlock budget', ms: floorMs },
  phoneOverFloor: Number((phone / floorMs).toFixed(2)),
  meetsFloor: phone <= floorMs,
}
console.log(`Argon2id m=${PASSPHRASE_KDF.m} KiB t=${PASSPHRASE_KDF.t} p=${PASSPHRASE_KDF.p}: Node ${node} ms; Chromium ${chromiumTimes.chromiumCpu1xMs} ms, 4× throttled ${phone} ms, 6× ${chromiumTimes.chromiumCpu6xMs} ms (budget ${floorMs} ms)`)
console.log(JSON.stringify(result))
