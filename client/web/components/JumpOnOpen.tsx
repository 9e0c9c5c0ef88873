import { createEffect } from 'solid-js'
import type { ConvId } from '../../../protocol/index.js'
import { pendingJump, takeJump } from '../pendingJump.js'
import { useMessageUi } from './MessageUiContext.js'

/** How long a jump waits for the log to be shown (on a phone the search view had the screen). */
const SHOWN_WITHIN_MS = 5000

/** Resolves once `el` has a height, and one frame more (the list has measured its rows by then). */
function whenShown(el: Element | null | undefined): Promise<void> {
  const started = performance.now()
  return new Promise((done) => {
    const look = () => {
      if (!el?.isConnected || el.clientHeight > 0 || performance.now() - started > SHOWN_WITHIN_MS) return requestAnimationFrame(() => done())
      requestAnimationFrame(look)
    }
    look()
  })
}

/**
 * [W26] Takes a jump asked for from outside (a search result) once the conversation's first
 * messages are there and its log is shown, and hands it to the list's own jump ([W15]
 * `MessageUi.jumpTo`: earlier segments load until the message is among the rows, the list
 * scrolls to it and highlights it). Place it inside the conversation's MessageUi provider, beside
 * its log.
 */
export function JumpOnOpen(props: { conv: ConvId; ready: boolean }) {
  const ui = useMessageUi()
  let marker!: HTMLSpanElement
  createEffect(() => {
    const request = pendingJump(props.conv)
    if (!request || !props.ready || !ui) return
    takeJump(request)
    // The binding sets the messages, then whether earlier ones exist: both are set a frame later.
    // A log hidden behind the search view has no height, and rows measured there none either.
    void whenShown(marker.closest('.conversation')?.querySelector('[role=log]')).then(() => ui.jumpTo(request.ref))
  })
  return <span ref={marker} hidden />
}
