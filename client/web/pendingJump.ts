import { createSignal } from 'solid-js'
import type { MessageRef } from '../core/messenger.js'
import type { ConvId } from '../../protocol/index.js'

/**
 * [W26] A jump asked for from outside a conversation (a search result): the conversation opens,
 * and once its messages are there its view takes the request and jumps to the message (loading
 * earlier segments, scrolling, highlighting: `MessageUi.jumpTo`). One request at a time; a newer
 * one replaces it. `n` tells two requests for the same message apart (opened twice).
 */
export interface JumpRequest {
  readonly conv: ConvId
  readonly ref: MessageRef
  readonly n: number
}

const [pending, setPending] = createSignal<JumpRequest>()
let counter = 0

export function requestJump(conv: ConvId, ref: MessageRef): void {
  setPending({ conv, ref, n: ++counter })
}

/** The request waiting for `conv`, if any (reactive). */
export function pendingJump(conv: ConvId): JumpRequest | undefined {
  const p = pending()
  return p?.conv === conv ? p : undefined
}

/** Takes the request away once acted on (only if it is still the same one). */
export function takeJump(request: JumpRequest): void {
  if (pending() === request) setPending(undefined)
}
