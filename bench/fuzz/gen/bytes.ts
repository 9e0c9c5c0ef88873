import type { Rng } from '../rng.js'

/** Random binary frames: mostly short, sometimes long, with CBOR-looking first bytes now and then. */
export function randomBinary(rng: Rng): Uint8Array {
  const out = rng.bytes(rng.size(rng.chance(0.05) ? 256 * 1024 : 2048))
  // A map or array head first: gets the bytes past the first check into the shape walk.
  if (out.length && rng.chance(0.4)) out[0] = rng.pick([0xa1, 0xa2, 0xa5, 0xbf, 0x81, 0x9f, 0xd8, 0xc2, 0x5a, 0x7a, 0xfb, 0xf9])
  return out
}

/** Text frames ([S1] refuses them all): ASCII, JSON that looks like a message, and other Unicode. */
export function randomText(rng: Rng): string {
  switch (rng.int(0, 3)) {
    case 0:
      return String.fromCharCode(...Array.from({ length: rng.size(500) }, () => rng.int(32, 126)))
    case 1:
      return JSON.stringify({ type: rng.pick(['hello', 'ping', 'push', 'join']), t: rng.u32() })
    case 2:
      return Array.from({ length: rng.size(300) }, () => String.fromCodePoint(rng.pick([rng.int(0x80, 0x7ff), rng.int(0x800, 0xd7ff), rng.int(0x10000, 0x10ffff)]))).join('')
    default:
      return ''
  }
}

/** Byte-level damage to a (valid) frame: flips, truncation, insertion, splicing, trailing bytes. */
export function damage(rng: Rng, frame: Uint8Array): Uint8Array {
  if (frame.length > 64 * 1024) {
    // Large frames: flips and a cut only (an array copy of a megabyte per frame costs more than the server's answer).
    const out = frame.slice(0, rng.chance(0.3) ? rng.int(0, frame.length) : frame.length)
    for (let i = rng.int(1, 8); i > 0 && out.length; i--) out[rng.int(0, out.length - 1)]! ^= 1 << rng.int(0, 7)
    return out
  }
  const out = Array.from(frame)
  const times = rng.int(1, 4)
  for (let i = 0; i < times; i++) {
    const at = rng.int(0, Math.max(0, out.length - 1))
    switch (rng.int(0, 6)) {
      case 0:
        if (out.length) out[at] = out[at]! ^ (1 << rng.int(0, 7))
        break
      case 1:
        out.length = rng.int(0, out.length)
        break
      case 2:
        out.splice(at, 0, ...rng.bytes(rng.int(1, 16)))
        break
      case 3:
        out.splice(at, rng.int(1, 16))
        break
      case 4:
        out.push(...rng.bytes(rng.int(1, 4)))
        break
      case 5:
        if (out.length) out[at] = rng.pick([0x00, 0x17, 0x18, 0x1b, 0x1f, 0x5f, 0x7f, 0x9f, 0xbf, 0xc0, 0xd8, 0xf7, 0xf8, 0xff])
        break
      default: {
        // Repeat a slice: duplicated keys and items.
        const from = rng.int(0, out.length)
        const slice = out.slice(from, from + rng.int(1, 64))
        out.splice(at, 0, ...slice)
      }
    }
  }
  return Uint8Array.from(out)
}
