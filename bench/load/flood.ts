/**
 * bench:load worker: one authenticated device that sends pings as fast as its socket takes them
 * (about 40,000 frames a second unthrottled on this machine, issue 9) and reconnects every 2 s
 * with the same key, to look for a fresh burst ([S22]).
 */
import { serve } from '../procs.js'
import { WireDevice } from './wire.js'
import { generateDeviceKeys } from '../../crypto/index.js'

let running = false
let sent = 0
let answered = 0
let reconnects = 0
const keys = generateDeviceKeys()

async function flood(url: string): Promise<void> {
  while (running) {
    const d = new WireDevice(keys)
    try {
      await d.connect(url)
    } catch {
      await new Promise((r) => setTimeout(r, 100))
      continue
    }
    d.onMessage = () => void answered++
    const until = performance.now() + 2_000
    while (running && d.open && performance.now() < until) {
      // Keep the socket's own buffer full, no further: the flooder is limited by what TCP takes.
      while (d.buffered < 256 * 1024 && d.open) {
        d.send({ type: 'ping', t: sent++ })
      }
      // Full: wait rather than spin. On this machine the flooder shares the server's two cores;
      // in the field its CPU is its own, so it must not win by starving the server of CPU here.
      await new Promise((r) => setTimeout(r, d.buffered < 256 * 1024 ? 0 : 5))
    }
    d.close()
    reconnects++
  }
}

serve({
  start(args) {
    running = true
    sent = answered = reconnects = 0
    void flood(String(args.url))
    return true
  },
  stop() {
    running = false
    return { sent, answered, reconnects }
  },
})

// The bench may end before this worker's last answer: leave with it.
process.on('disconnect', () => process.exit(0))
