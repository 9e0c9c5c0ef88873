import { Decoder, Encoder } from 'cbor-x'
import type * as z from 'zod'
import { cborShapeProblem } from '../../../protocol/cborShape.js'

/**
 * Local records are CBOR; storage is a trust boundary too (another tab, an old version, disk
 * corruption), so every record is schema-checked when read and a bad one is reported, not used.
 */
const encoder = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false })
const decoder = new Decoder({ useRecords: false, mapsAsObjects: true })

/** A plain Uint8Array (not a Node Buffer, whose slice() is a view rather than a copy). */
export function encodeRecord(value: unknown): Uint8Array {
  const out = encoder.encode(value)
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength)
}

export function decodeRecord<T>(bytes: Uint8Array, schema: z.ZodType<T>): T | undefined {
  // Records also come from peers (membership ops, bundles, recovery blobs): shape first ([P4]).
  if (cborShapeProblem(bytes) !== undefined) return undefined
  try {
    const parsed = schema.safeParse(plain(decoder.decode(bytes)))
    return parsed.success ? parsed.data : undefined
  } catch {
    return undefined
  }
}

function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return value.constructor === Uint8Array ? value : new Uint8Array(value)
  if (Array.isArray(value)) return value.map(plain)
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
  }
  return value
}
