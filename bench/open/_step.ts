import { copyFileSync, readFileSync } from 'node:fs'
import { Messenger } from '../../client/core/messenger.js'
import { nodeSocket } from '../../client/node/socket.js'
import { parseConvId } from '../../protocol/index.js'
import { startProfile } from '../profile.js'
import { monotonicMs } from '../procs.js'
import { openCliStore } from './cliStore.js'
const [size, prof] = process.argv.slice(2)
const { conv, keyHex } = JSON.parse(readFileSync('/tmp/keep/conv.json', 'utf8'))
const file = `/tmp/ostep/open-${size}.sqlite`
for (const s of ['', '-wal', '-shm']) try { copyFileSync(`/tmp/keep/store-${size}.sqlite${s}`, file + s) } catch {}
const raw = await openCliStore(file, keyHex)
const log: string[] = []
const T0 = monotonicMs()
const store = new Proxy(raw, { get(t, k) { const f = (t as any)[k]; if (typeof f !== 'function') return f; return async (...a: any[]) => { const s = monotonicMs(); const r = await f.apply(t, a); const n = Array.isArray(r) ? r.length : r ? 1 : 0; log.push(`${Number(process.hrtime.bigint() / 1000n)}\t${(s - T0).toFixed(1)}\t${(monotonicMs() - s).toFixed(1)}\t${String(k)}\t${String(JSON.stringify(a[0])).slice(0, 40)}\t${n}`); return r } } })
const p = prof ? await startProfile(100) : undefined
const t0 = monotonicMs()
const m = await Messenger.open({ store, url: 'ws://127.0.0.1:9/sync', socket: nodeSocket })
const t1 = monotonicMs()
await p?.stop(prof!)
console.log(JSON.stringify({ size, open: Math.round(t1 - t0) })); if (process.env.LOG) console.log(log.join('\n'))
await m.stop(); await store.close(); process.exit(0)
