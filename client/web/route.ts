import { createSignal, onCleanup, type Accessor } from 'solid-js'
import { ClientError } from '../core/errors.js'
import { parseOrgInvitation } from '../core/team/orgInvite.js'
import { parseConvId, type ConvId } from '../../protocol/index.js'

/**
 * Where the app is, kept in the URL fragment (never sent to any server):
 *   `#c=<convId>`  a conversation      `#o=<orgId>`  an organisation's people, groups and invitations
 *   `#org=<invitation>`  a one-time invitation to an organisation or a conversation ([T12]), or a device link ([T17])
 * The fragment is untrusted input: it is parsed here, and anything unreadable is a typed route.
 * `#join=` was the conversation link that carried the key itself: it lets nobody in any more (M102).
 */
export type Route =
  | { readonly kind: 'home' }
  | { readonly kind: 'conversation'; readonly conv: ConvId }
  | { readonly kind: 'org'; readonly org: ConvId }
  /**
   * `link` is the fragment as opened: the engine parses it again when the person accepts.
   * `conversation`: the invitation is to a conversation (a one-space organisation), not an organisation.
   * `device`: a link to add another device of the person who made it ([T17]), not a new person.
   */
  | {
      readonly kind: 'org-join'
      readonly link: string
      readonly org: ConvId
      readonly name: string
      readonly expires: number
      readonly conversation?: true
      readonly device?: true
    }
  | { readonly kind: 'bad-invite'; readonly message: string }

/** The routes a link or `Router.go` may lead to (invitations only ever arrive from outside). */
export type Place = { kind: 'home' } | { kind: 'conversation'; conv: ConvId } | { kind: 'org'; org: ConvId }

export function parseRoute(hash: string): Route {
  // The engine's parser answers a retired `#join=` link with M102, like any other bad link.
  if (hash.startsWith('#org=') || hash.startsWith('#join=')) {
    return invitationRoute(() => {
      const inv = parseOrgInvitation(hash)
      return {
        kind: 'org-join',
        link: hash,
        org: inv.org,
        name: inv.name,
        expires: inv.expires,
        ...(inv.conversation ? { conversation: true as const } : {}),
        ...(inv.user !== undefined ? { device: true as const } : {}),
      }
    })
  }
  if (hash.startsWith('#o=')) {
    const org = parseConvId(hash.slice(3))
    return org ? { kind: 'org', org } : { kind: 'home' }
  }
  const conv = hash.startsWith('#c=') ? parseConvId(hash.slice(3)) : undefined
  return conv ? { kind: 'conversation', conv } : { kind: 'home' }
}

/** A damaged (M100), too new (M101) or retired (M102) link is a coded message for the person, never a throw. */
function invitationRoute(parse: () => Route): Route {
  try {
    return parse()
  } catch (err) {
    if (err instanceof ClientError) return { kind: 'bad-invite', message: err.message }
    throw err
  }
}

/** Link targets stay in the fragment, so following one never reloads the app. */
export function hrefOf(route: Place): string {
  switch (route.kind) {
    case 'home':
      return '#/'
    case 'conversation':
      return `#c=${route.conv}`
    case 'org':
      return `#o=${route.org}`
    default: {
      const never: never = route
      return never
    }
  }
}

export interface Router {
  readonly route: Accessor<Route>
  /** `replace` rewrites the current history entry, e.g. to drop an invitation key from it. */
  go(route: Place, opts?: { replace?: boolean }): void
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
