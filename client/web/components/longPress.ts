/**
 * [W15] A long press on a touch screen (the finger held still for LONG_PRESS_MS) runs `action`,
 * as on a phone's messenger; a mouse or pen, a moving finger or an early lift does nothing. The
 * timer only decides when the menu opens (no state waits on it).
 */
const LONG_PRESS_MS = 500
const SLOP_PX = 10

export function longPress(action: () => void): {
  onPointerDown: (e: PointerEvent) => void
  onPointerMove: (e: PointerEvent) => void
  onPointerUp: () => void
  onPointerCancel: () => void
  onContextMenu: (e: MouseEvent) => void
} {
  let timer: ReturnType<typeof setTimeout> | undefined
  let start: { x: number; y: number } | undefined
  let fired = false
  const stop = () => {
    clearTimeout(timer)
    timer = undefined
    start = undefined
  }
  return {
    onPointerDown(e) {
      if (e.pointerType !== 'touch') return
      stop()
      fired = false
      start = { x: e.clientX, y: e.clientY }
      timer = setTimeout(() => {
        fired = true
        stop()
        action()
      }, LONG_PRESS_MS)
    },
    onPointerMove(e) {
      if (start && Math.hypot(e.clientX - start.x, e.clientY - start.y) > SLOP_PX) stop()
    },
    onPointerUp: stop,
    onPointerCancel: stop,
    // The browser's own long-press menu would cover ours.
    onContextMenu(e) {
      if (fired) e.preventDefault()
    },
  }
}
