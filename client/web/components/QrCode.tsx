import { createMemo } from 'solid-js'
import { qrPath } from '../qrSvg.js'

/**
 * A QR code drawn inline as SVG (black on white, quiet zone included), named for screen readers
 * by `label`. Only numbers from qrPath go into the markup.
 */
export function QrCode(props: { data: string; label: string; caption?: string }) {
  const qr = createMemo(() => qrPath(props.data))
  return (
    <figure class="qr">
      <svg role="img" aria-label={props.label} viewBox={`0 0 ${qr().size} ${qr().size}`} shape-rendering="crispEdges">
        <rect width={qr().size} height={qr().size} fill="#fff" />
        <path d={qr().d} fill="#000" />
      </svg>
      {props.caption && <figcaption class="muted small">{props.caption}</figcaption>}
    </figure>
  )
}
