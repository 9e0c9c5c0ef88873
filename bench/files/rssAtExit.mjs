// Preloaded by bench/files into the processes it measures (rss.ts RSS_AT_EXIT): the process's
// own peak resident memory and CPU time (user, system), written once as it exits. Plain JS: it runs before any loader.
import { writeFileSync } from 'node:fs'

const file = process.env.BENCH_RSS_FILE
if (file)
  process.once('exit', () => {
    const u = process.resourceUsage()
    writeFileSync(file, JSON.stringify({ maxRssKib: u.maxRSS, userMs: u.userCPUTime / 1000, systemMs: u.systemCPUTime / 1000 }))
  })
