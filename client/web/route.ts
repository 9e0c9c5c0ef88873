import { createSignal, onCleanup, type Accessor } from 'solid-js'
import { ClientError } from '../core/errors.js'
import { parseInvitation, type Invitation } from '../core/invite.js'
import { parseConvId, type ConvId } from '../../protocol/index.js'

/**
 * Where the app is, kept in the URL fragment (never sent to any server):
 *   `#c=<convId>`  a conversation      `#join=<invitation>`  an invitation link ([I1])
 * The fragment is untrusted input: it is parsed here, and anything unreadable is a typed route.
 */
export type Route =
  | { readonly kind: 'home' }
  | { readonly kind: 'conversation'; readonly conv: ConvId }
  | { readonly kind: 'join'; readonly invitation: Invitation }
  | { readonly kind: 'bad-invite'; readonly message: string }

export function parseRoute(hash: string): Route {
  if (hash.startsWith('#join=')) {
    try {
      return { kind: 'join', invitation: parseInvitation(hash) }
    } catch (err) {
      if (err instanceof ClientError) return { kind: 'bad-invite', message: err.message }
      throw err
    }
  }
  const conv = hash.startsWith('#c=') ? parseConvId(hash.slice(3)) : undefined
  return conv ? { kind: 'conversation', conv } : { kind: 'home' }
}

/** Link targets stay in the fragment, so following one never reloads the app. */
export function hrefOf(route: { kind: 'home' } | { kind: 'conversation'; conv: ConvId }): string {
  return route.kind === 'home' ? '#/' : `#c=${route.conv}`
}

export interface Router {
  readonly route: Accessor<Route>
  /** `replace` rewrites the current history entry, e.g. to drop an invitation key from it. */
  go(route: { kind: 'home' } | { kind: 'conversation'; conv: ConvId }, opts?: { replace?: boolean }): void
}

/** Call inside a component: follows back/forward and links typed into the address bar. */
export function createRouter(): Router {
  const [route, setRoute] = createSignal<Route>(parseRoute(location.hash))
  const sync = () => setRoute(parseRoute(location.hash))
  window.addEventListener('hashchange', sync)
  window.addEventListener('popstate', sync)
  onCleanup(() => {
    window.removeEventListener('hashchange', sync)
    window.removeEventListener('popstate', sync)
  })
  return {
    route,
    go(next, opts) {
      const url = next.kind === 'home' ? location.pathname + location.search : hrefOf(next)
      if (opts?.replace) history.replaceState(null, '', url)
      else history.pushState(null, '', url)
      sync()
    },
  }
}
