import { createSignal, onCleanup, type Accessor } from 'solid-js'
import type { Messenger, SearchHit } from '../core/messenger.js'
import { refOf } from '../core/documents/messageRef.js'
import type { ConvId } from '../../protocol/index.js'
import { bindSearch, type SearchBinding } from './searchBinding.js'
import { requestJump } from './pendingJump.js'
import type { Router } from './route.js'

/** A key press meant for a text field, not a shortcut. */
const typing = (t: EventTarget | null): boolean =>
  t instanceof HTMLElement && (t.isContentEditable || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || (t.tagName === 'INPUT' && !['checkbox', 'radio', 'button', 'submit'].includes((t as HTMLInputElement).type)))

export interface SearchShell {
  readonly search: SearchBinding
  /** On a narrow screen the search view is in front (it has the screen), not the open conversation. */
  readonly front: Accessor<boolean>
  show(scope?: ConvId): void
  close(): void
  /** [W26] Opens the hit's conversation and asks its list to jump to the message. */
  openHit(hit: SearchHit): void
}

/**
 * [W25][W26] The app's search: its binding, the shortcuts that open it (Ctrl+K or ⌘K anywhere,
 * "/" outside a text field), and opening a hit. `enabled`: the lists are shown (a profile exists,
 * no lock screen). Call inside a component.
 */
export function createSearchShell(messenger: Messenger, router: Router, enabled: () => boolean): SearchShell {
  const search = bindSearch(messenger)
  const [front, setFront] = createSignal(false)
  let opener: HTMLElement | null = null
  const show = (scope?: ConvId) => {
    if (!search.open()) opener = document.activeElement instanceof HTMLElement ? document.activeElement : null
    search.show(scope)
    setFront(true)
    // Already open: the box takes the focus again (the view focuses it when it first shows).
    queueMicrotask(() => document.querySelector<HTMLInputElement>('.search-view input[type=search]')?.focus())
  }
  const onKey = (e: KeyboardEvent) => {
    if (!enabled() || e.defaultPrevented) return
    const k = e.key.toLowerCase() === 'k' && (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey
    const slash = e.key === '/' && !e.ctrlKey && !e.metaKey && !e.altKey && !typing(e.target)
    if (!k && !slash) return
    e.preventDefault()
    show()
  }
  document.addEventListener('keydown', onKey)
  onCleanup(() => document.removeEventListener('keydown', onKey))
  return {
    search,
    front,
    show,
    close() {
      search.close()
      setFront(false)
      // Focus goes back where it was, or to the Search button.
      const back = opener?.isConnected ? opener : document.querySelector<HTMLElement>('button[data-search-opener]')
      back?.focus()
      opener = null
    },
    openHit(hit) {
      requestJump(hit.conv, refOf(hit.segment, hit.id))
      router.go({ kind: 'conversation', conv: hit.conv })
      setFront(false)
    },
  }
}
