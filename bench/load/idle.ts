/**
 * bench:load worker: idle authenticated connections, spread over client addresses 127.0.0.2 and
 * up (at most 200 per address), each pinging every 20 s as an app in the background does (the
 * server closes a connection silent for 60 s, [S6]).
 */
import { serve } from '../procs.js'
import { WireDevice } from './wire.js'

const devices: WireDevice[] = []
let pinger: NodeJS.Timeout | undefined
const PER_ADDRESS = 200

serve({
  async open(args) {
    const url = String(args.url)
    const count = Number(args.count)
    const offset = Number(args.offset ?? 0)
    const start = devices.length
    // Pinging from the first connection on: opening 10,000 takes longer than the idle timeout.
    pinger ??= setInterval(() => devices.forEach((d, i) => setTimeout(() => d.send({ type: 'ping', t: i }), (i % 1000) * 5)), 20_000)
    // Fifty handshakes in flight at once: each signs two proofs here (the bench's bottleneck),
    // and a hello must reach the server within its 10 s handshake timeout.
    for (let i = start; i < start + count; i += 50) {
      const batch = Array.from({ length: Math.min(50, start + count - i) }, (_, k) => {
        const n = offset + i + k
        const d = new WireDevice()
        devices.push(d)
        return d.connect(url, `127.0.${2 + Math.floor(n / PER_ADDRESS / 250)}.${2 + (Math.floor(n / PER_ADDRESS) % 250)}`)
      })
      await Promise.all(batch)
    }
    return devices.filter((d) => d.open).length
  },
  closeAll() {
    clearInterval(pinger)
    pinger = undefined
    for (const d of devices.splice(0)) d.close()
    return true
  },
})

// The bench may end before this worker's last answer: leave with it.
process.on('disconnect', () => process.exit(0))
