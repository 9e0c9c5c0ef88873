import * as z from 'zod'

/**
 * [V2] A call message longer than one signal (an SDP: a few KiB; a signal carries under 2 KB)
 * goes as up to {@link MAX_PARTS} signals, each `{t: 'call', m, i, n, b}`: message id `m`
 * (8 random bytes), part `i` of `n`, bytes `b`. Every part is sealed and signed on its own
 * ([E14]); the receiver keeps parts per sending device and message id, bounded in count, size and
 * time, and hands on a message only once every part is there.
 */
export const PART_BYTES = 1_500
export const MAX_PARTS = 10
/** Messages being put together at once, across every device; the oldest goes first. */
const MAX_OPEN = 32
/** A message whose parts do not all come within this is dropped. */
const OPEN_MS = 10_000

export interface CallPart {
  readonly t: 'call'
  readonly m: Uint8Array
  readonly i: number
  readonly n: number
  readonly b: Uint8Array
}

export const callPartSchema = z
  .object({
    t: z.literal('call'),
    m: z.instanceof(Uint8Array).refine((b) => b.length === 8),
    i: z.number().int().min(0).max(MAX_PARTS - 1),
    n: z.number().int().min(1).max(MAX_PARTS),
    b: z.instanceof(Uint8Array).refine((b) => b.length >= 1 && b.length <= PART_BYTES),
  })
  .strict()

/** `bytes` in parts under message id `id`; undefined when it needs more than MAX_PARTS. */
export function splitCallMessage(bytes: Uint8Array, id: Uint8Array): CallPart[] | undefined {
  const n = Math.max(1, Math.ceil(bytes.length / PART_BYTES))
  if (n > MAX_PARTS) return undefined
  return Array.from({ length: n }, (_, i) => ({ t: 'call', m: id, i, n, b: bytes.subarray(i * PART_BYTES, (i + 1) * PART_BYTES) }))
}

interface Open {
  readonly n: number
  readonly parts: (Uint8Array | undefined)[]
  have: number
  readonly at: number
}

/** [V2] Puts parts back together; what does not fit its bounds is dropped, never grown. */
export class CallPartAssembler {
  private readonly open = new Map<string, Open>()
  constructor(private readonly now: () => number = () => Date.now()) {}

  /** The whole message once its last part is in; undefined until then (and for inconsistent parts). */
  add(device: string, part: CallPart): Uint8Array | undefined {
    if (part.i >= part.n) return undefined
    if (part.n === 1) return part.b
    const now = this.now()
    for (const [k, o] of this.open) if (now - o.at > OPEN_MS) this.open.delete(k)
    const key = `${device}/${Array.from(part.m, (b) => b.toString(16).padStart(2, '0')).join('')}`
    let o = this.open.get(key)
    if (o && o.n !== part.n) return void this.open.delete(key)
    if (!o) {
      if (this.open.size >= MAX_OPEN) this.open.delete(this.open.keys().next().value!)
      o = { n: part.n, parts: new Array<Uint8Array | undefined>(part.n), have: 0, at: now }
      this.open.set(key, o)
    }
    // Every part but the last is full: a short one in the middle is not a message a device made.
    if (part.i < part.n - 1 && part.b.length !== PART_BYTES) return void this.open.delete(key)
    if (o.parts[part.i]) return undefined
    o.parts[part.i] = part.b
    if (++o.have < o.n) return undefined
    this.open.delete(key)
    const whole = new Uint8Array(o.parts.reduce((s, p) => s + p!.length, 0))
    let at = 0
    for (const p of o.parts) whole.set(p!, (at += p!.length) - p!.length)
    return whole
  }

  /** Messages waiting for parts (tests). */
  get waiting(): number {
    return this.open.size
  }
}
