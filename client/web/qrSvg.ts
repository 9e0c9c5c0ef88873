import { encode } from 'uqr'

/**
 * QR codes as SVG, drawn from uqr's module grid (no dependencies, no eval, no network).
 * Error correction M survives a glare spot or a cracked screen; the 4-module quiet zone is what
 * the QR standard asks for and what phone cameras need to find the code.
 */
export const QR_QUIET_ZONE = 4

export interface QrPath {
  /** Width and height in modules, quiet zone included: the SVG viewBox is `0 0 size size`. */
  readonly size: number
  /** One subpath per horizontal run of dark modules. */
  readonly d: string
}

/** A string is encoded as UTF-8 text (what any scanner app shows); bytes in byte mode as they are. */
export function qrPath(data: Uint8Array | string): QrPath {
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) throw new TypeError('qrPath: data must be a string or a Uint8Array')
  const qr = encode(typeof data === 'string' ? data : Array.from(data), { ecc: 'M', border: QR_QUIET_ZONE })
  let d = ''
  qr.data.forEach((row, y) => {
    for (let x = 0; x < row.length; ) {
      if (!row[x]) {
        x++
        continue
      }
      const start = x
      while (x < row.length && row[x]) x++
      d += `M${start} ${y}h${x - start}v1h-${x - start}z`
    }
  })
  return { size: qr.size, d }
}

/**
 * A standalone SVG document for `data`, black on white whatever the page's theme (scanners need
 * the contrast). Only numbers and fixed text go into the markup, so it is safe to inline.
 */
export function qrSvg(data: Uint8Array | string): string {
  const { size, d } = qrPath(data)
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges">` +
    `<rect width="${size}" height="${size}" fill="#fff"/><path d="${d}" fill="#000"/></svg>`
  )
}
