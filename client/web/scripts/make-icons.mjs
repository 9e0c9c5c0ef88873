// Writes the PWA icons (client/web/public/icon-192.png, icon-512.png): a white speech bubble on
// the theme colour, drawn pixel by pixel and encoded as PNG with node:zlib, so no image tool or
// binary download is needed. Run: node client/web/scripts/make-icons.mjs (output is committed).
// The bubble stays inside the central 60%, so the same file is a valid maskable icon.
import { writeFileSync } from 'node:fs'
import { deflateSync } from 'node:zlib'

const THEME = [0x1f, 0x5f, 0x8b] // keep in step with vite.config.ts theme_color
const WHITE = [0xff, 0xff, 0xff]
const DOT = [0x1f, 0x5f, 0x8b]

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
function crc32(buf) {
  let c = 0xffffffff
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length)
  out.writeUInt32BE(data.length, 0)
  out.write(type, 4, 'ascii')
  data.copy(out, 8)
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length)
  return out
}

/** Colour of the pixel whose centre is at (x, y) in a unit square. */
function colourAt(x, y) {
  // Rounded-rectangle bubble body.
  const [left, top, right, bottom, r] = [0.22, 0.26, 0.78, 0.66, 0.08]
  const cx = Math.min(Math.max(x, left + r), right - r)
  const cy = Math.min(Math.max(y, top + r), bottom - r)
  const inBody = (x - cx) ** 2 + (y - cy) ** 2 <= r * r
  // Tail: a triangle below the bubble's lower left.
  const inTail = y >= bottom - 0.01 && y <= 0.78 && x >= 0.32 && x <= 0.32 + (0.78 - y) * 1.2 && x <= 0.46
  if (!inBody && !inTail) return THEME
  // Three dots inside the bubble.
  for (const dx of [0.38, 0.5, 0.62]) if ((x - dx) ** 2 + (y - 0.46) ** 2 <= 0.045 ** 2) return DOT
  return WHITE
}

function png(size) {
  const raw = Buffer.alloc(size * (1 + size * 3))
  for (let y = 0; y < size; y++) {
    const row = y * (1 + size * 3)
    raw[row] = 0 // filter: none
    for (let x = 0; x < size; x++) {
      const [r, g, b] = colourAt((x + 0.5) / size, (y + 0.5) / size)
      raw.set([r, g, b], row + 1 + x * 3)
    }
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(size, 0)
  ihdr.writeUInt32BE(size, 4)
  ihdr.set([8, 2, 0, 0, 0], 8) // 8-bit RGB, no interlace
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))])
}

for (const size of [192, 512]) {
  const file = new URL(`../public/icon-${size}.png`, import.meta.url)
  writeFileSync(file, png(size))
  console.log(`wrote ${file.pathname}`)
}
