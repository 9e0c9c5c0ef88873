import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { build } from 'vite'
import wasm from 'vite-plugin-wasm'
import type { Entry } from '../../client/core/storage/LocalStore.js'
import type { OpenTiming } from './nodeOpen.js'

/**
 * The Chromium side of bench:open: page/ bundled by Vite with the app's settings for the engine
 * (wasm plugin, es2022, cbor-x without eval: vite.config.ts), served by the real sync server.
 */
export async function buildPage(outDir: string): Promise<void> {
  await build({
    configFile: false,
    root: join(import.meta.dirname, 'page'),
    logLevel: 'warn',
    plugins: [wasm()],
    resolve: { alias: [{ find: /^cbor-x$/, replacement: 'cbor-x/index-no-eval' }] },
    build: { target: 'es2022', outDir, emptyOutDir: true },
  })
}

const CHUNK = 2000

interface BenchWindow {
  benchOpen: {
    load(records: { k: string[]; v: string }[]): Promise<void>
    loaded(): Promise<void>
    open(conv: string): Promise<OpenTiming>
  }
}

/**
 * A fresh browser profile (context) gets the store's records through the app's own encrypted
 * store; then each run is a new page (a fresh JS realm, as a reopened app) timing one cold open.
 */
export async function measureChromium(browser: Browser, url: string, records: readonly Entry[], conv: string, runs: number, profile?: string): Promise<{ timings: OpenTiming[]; loadMs: number }> {
  const context = await browser.newContext()
  try {
    const page = async () => {
      const p = await context.newPage()
      p.on('pageerror', (err) => console.error(`bench page: ${err.message}`))
      await p.goto(url)
      await p.waitForFunction(() => document.title === 'bench:open ready')
      return p
    }
    const started = performance.now()
    const loader = await page()
    for (let i = 0; i < records.length; i += CHUNK) {
      const chunk = records.slice(i, i + CHUNK).map((e) => ({ k: e.key, v: Buffer.from(e.value).toString('base64') }))
      await loader.evaluate((recs) => (window as unknown as BenchWindow).benchOpen.load(recs), chunk)
    }
    await loader.evaluate(() => (window as unknown as BenchWindow).benchOpen.loaded())
    await loader.close()
    const loadMs = performance.now() - started
    const timings: OpenTiming[] = []
    for (let r = 0; r < runs; r++) {
      const p = await page()
      // The first run's CPU profile (`profile`), sampled every 100 µs by the DevTools protocol.
      const cdp = profile && r === 0 ? await context.newCDPSession(p) : undefined
      if (cdp) for (const [method, params] of [['Profiler.enable', {}], ['Profiler.setSamplingInterval', { interval: 100 }], ['Profiler.start', {}]] as const) await cdp.send(method, params)
      timings.push(await p.evaluate((c) => (window as unknown as BenchWindow).benchOpen.open(c), conv))
      if (cdp) writeFileSync(profile!, JSON.stringify((await cdp.send('Profiler.stop')).profile))
      await p.close()
    }
    return { timings, loadMs }
  } finally {
    await context.close()
  }
}
