/**
 * The plaintext of an envelope: a batch of Automerge changes for one document.
 * Layout: u32 count ‖ (u32 length ‖ change bytes)*.
 */
export function encodeChanges(changes: readonly Uint8Array[]): Uint8Array {
  let size = 4
  for (const c of changes) size += 4 + c.length
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  view.setUint32(0, changes.length)
  let o = 4
  for (const c of changes) {
    view.setUint32(o, c.length)
    out.set(c, o + 4)
    o += 4 + c.length
  }
  return out
}

export function decodeChanges(payload: Uint8Array): Uint8Array[] | undefined {
  if (payload.length < 4) return undefined
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength)
  const count = view.getUint32(0)
  if (count > payload.length) return undefined
  const out: Uint8Array[] = []
  let o = 4
  for (let i = 0; i < count; i++) {
    if (o + 4 > payload.length) return undefined
    const len = view.getUint32(o)
    if (o + 4 + len > payload.length) return undefined
    out.push(payload.subarray(o + 4, o + 4 + len))
    o += 4 + len
  }
  return o === payload.length ? out : undefined
}
