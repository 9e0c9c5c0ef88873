import { CryptoMisuse } from './errors.js'
import { contentHasher } from './hash.js'
import { nodeBuiltin } from './nodeBuiltin.js'

/**
 * [F5a] A file's content hash ([F5]) computed beside the caller instead of on its thread: in Node
 * a worker thread runs node:crypto's SHA-256 (about 0.85 s per GiB here) while a download opens
 * and writes the next chunks. Bytes are copied into 1 MiB batches that go to the worker and come
 * back (the caller may reuse its own at once); at most {@link HASH_AHEAD_BYTES} wait, then `update`
 * waits, so memory stays bounded when the worker falls behind. The digest is the same bytes as `contentHasher`'s for the same input.
 * Below {@link HASH_WORKER_MIN_BYTES}, in the browser, or where no worker starts, it hashes
 * inline as `contentHasher` does.
 */
export interface BackgroundContentHasher {
  /** Hashes `bytes` next (copied). Settles once at most HASH_AHEAD_BYTES are waiting. */
  update(bytes: Uint8Array): Promise<void>
  /** The 32-byte digest; the hasher cannot be used afterwards. */
  digest(): Promise<Uint8Array>
  /** Ends it without a digest (a cancelled transfer); safe to call more than once and after `digest`. */
  close(): void
}

/** A worker costs a thread start (tens of milliseconds): smaller content is hashed inline. */
export const HASH_WORKER_MIN_BYTES = 8 * 1024 * 1024
/** Bytes queued for the worker before `update` waits. */
export const HASH_AHEAD_BYTES = 16 * 1024 * 1024
/**
 * Bytes gathered before they go to the worker in one message: a message costs ~40 µs on each
 * side, which at a download's 64 KiB chunks was 0.65 s per GiB on the caller's thread.
 */
const BATCH_BYTES = 1024 * 1024

/**
 * The worker's whole program, evaluated (no file to find in a bundle); it looks its modules up at
 * run time like the rest of crypto/ ([C0]).
 */
const WORKER_SOURCE = `
const { parentPort } = process.getBuiltinModule('node:worker_threads')
const h = process.getBuiltinModule('node:crypto').createHash('sha256')
parentPort.on('message', (m) => {
  if (m === 'digest') parentPort.postMessage({ digest: new Uint8Array(h.digest()) })
  else h.update(new Uint8Array(m.buffer, 0, m.length)), parentPort.postMessage({ done: m.buffer }, [m.buffer])
})
`

/** The few worker_threads calls used here, typed locally: crypto/ imports no Node module ([C0]). */
interface NodeWorker {
  postMessage(value: unknown, transfer?: ArrayBuffer[]): void
  on(event: 'message', listener: (value: unknown) => void): void
  on(event: 'error', listener: (err: Error) => void): void
  on(event: 'exit', listener: (code: number) => void): void
  terminate(): Promise<number>
}
interface WorkerThreadsModule {
  Worker: new (source: string, options: { eval: true }) => NodeWorker
}

const workerThreads = nodeBuiltin<WorkerThreadsModule>('node:worker_threads')

let workersOff = false
/** Tests run the inline path too. */
export function useHashWorkers(on: boolean): void {
  workersOff = !on
}

/** `size`: the content's length, when known (it decides whether a worker is worth starting). */
export function backgroundContentHasher(size: number): BackgroundContentHasher {
  if (!workerThreads || workersOff || !(size >= HASH_WORKER_MIN_BYTES)) return inline()
  let worker: NodeWorker
  try {
    worker = new workerThreads.Worker(WORKER_SOURCE, { eval: true })
  } catch {
    return inline()
  }
  return threaded(worker)
}

function inline(): BackgroundContentHasher {
  const h = contentHasher()
  let state: 'open' | 'done' = 'open'
  return {
    update(bytes) {
      if (state !== 'open') return Promise.reject(new CryptoMisuse('content hasher already finished'))
      h.update(bytes)
      return Promise.resolve()
    },
    digest() {
      if (state !== 'open') return Promise.reject(new CryptoMisuse('content hasher already finished'))
      state = 'done'
      return Promise.resolve(h.digest())
    },
    close() {
      state = 'done'
    },
  }
}

function threaded(worker: NodeWorker): BackgroundContentHasher {
  let state: 'open' | 'digesting' | 'done' = 'open'
  let waiting = 0
  let failure: Error | undefined
  let drained: (() => void)[] = []
  const spare: ArrayBuffer[] = []
  /** The batch being filled, and how much of it is. */
  let batch: ArrayBuffer | undefined
  let filled = 0
  const send = () => {
    waiting += batch!.byteLength
    worker.postMessage({ buffer: batch, length: filled }, [batch!])
    batch = undefined
    filled = 0
  }
  let result: { resolve: (d: Uint8Array) => void; reject: (e: Error) => void } | undefined
  const fail = (err: Error) => {
    failure ??= err
    for (const wake of drained.splice(0)) wake()
    result?.reject(failure)
    result = undefined
    if (state !== 'done') (state = 'done'), void worker.terminate()
  }
  worker.on('message', (m) => {
    const msg = m as { done?: ArrayBuffer; digest?: Uint8Array }
    if (msg.done instanceof ArrayBuffer) {
      waiting -= msg.done.byteLength
      // Handed back: a later batch fills it instead of a new buffer.
      if (spare.length < 4) spare.push(msg.done)
      if (waiting <= HASH_AHEAD_BYTES) for (const wake of drained.splice(0)) wake()
    } else if (msg.digest instanceof Uint8Array && msg.digest.length === 32 && result) {
      result.resolve(msg.digest)
      result = undefined
      state = 'done'
      void worker.terminate()
    }
  })
  worker.on('error', (err) => fail(err))
  worker.on('exit', () => fail(new Error('the hashing worker stopped')))
  return {
    async update(bytes) {
      if (state !== 'open') throw failure ?? new CryptoMisuse('content hasher already finished')
      for (let at = 0; at < bytes.length; ) {
        batch ??= spare.pop() ?? new ArrayBuffer(BATCH_BYTES)
        const n = Math.min(bytes.length - at, BATCH_BYTES - filled)
        new Uint8Array(batch, filled, n).set(bytes.subarray(at, at + n))
        filled += n
        at += n
        if (filled === BATCH_BYTES) send()
      }
      while (waiting > HASH_AHEAD_BYTES && !failure) await new Promise<void>((wake) => drained.push(wake))
      if (failure) throw failure
    },
    digest() {
      if (state !== 'open') return Promise.reject(failure ?? new CryptoMisuse('content hasher already finished'))
      state = 'digesting'
      if (filled) send()
      return new Promise<Uint8Array>((resolve, reject) => {
        result = { resolve, reject }
        worker.postMessage('digest')
      })
    },
    close() {
      if (state === 'done') return
      state = 'done'
      failure ??= new CryptoMisuse('content hasher closed')
      result?.reject(failure)
      result = undefined
      for (const wake of drained.splice(0)) wake()
      drained = []
      void worker.terminate()
    },
  }
}
