import { describe, expect, it } from 'vitest'
import { ClientErrorCode, clientErrorText } from '../../client/core/errors.js'
import { orgInviteLink } from '../../client/core/team/orgInvite.js'
import { newConvId } from '../../client/core/ids.js'
import { hrefOf, parseRoute } from '../../client/web/route.js'

/** The URL fragment is untrusted input: every shape maps to a typed route, never to a throw. */
describe('parseRoute', () => {
  const conv = newConvId()
  const bytes = (fill: number) => new Uint8Array(32).fill(fill)
  const link = orgInviteLink('https://chat.example', {
    org: conv, name: 'Field team', invite: 'inv1', secret: bytes(1), admin: bytes(2), adminBox: bytes(3), adminMailbox: bytes(4),
    expires: 1_900_000_000_000, conversation: true,
  })
  const fragment = link.slice(link.indexOf('#'))

  it('reads a conversation link and round-trips hrefOf', () => {
    expect(parseRoute(`#c=${conv}`)).toEqual({ kind: 'conversation', conv })
    expect(parseRoute(hrefOf({ kind: 'conversation', conv }))).toEqual({ kind: 'conversation', conv })
    expect(parseRoute(hrefOf({ kind: 'home' }))).toEqual({ kind: 'home' })
  })

  it('treats an unknown or malformed fragment as home', () => {
    for (const hash of ['', '#', '#/', '#c=', '#c=not-an-id', `#c=${conv}x`, '#x=1']) expect(parseRoute(hash)).toEqual({ kind: 'home' })
  })

  it('[T12] reads a one-time conversation invitation as such, keeping the fragment for the engine', () => {
    expect(fragment).toMatch(/^#org=/)
    expect(parseRoute(fragment)).toEqual({ kind: 'org-join', link: fragment, org: conv, name: 'Field team', expires: 1_900_000_000_000, conversation: true })
  })

  it('[M100] turns a truncated or altered conversation invitation into the M100 message', () => {
    const message = clientErrorText[ClientErrorCode.INVITE_MALFORMED]
    for (const hash of [fragment.slice(0, fragment.length / 2), fragment.slice(0, -1), `${fragment}!`]) {
      expect(parseRoute(hash)).toEqual({ kind: 'bad-invite', message })
    }
  })

  it('[M102] answers a retired #join= link, whole or damaged, with the M102 message', () => {
    const message = clientErrorText[ClientErrorCode.INVITE_RETIRED]
    // The shape of the links the earlier versions made: a base64url record after `#join=`.
    const retired = `#join=${'A'.repeat(40)}_-9`
    for (const hash of [retired, retired.slice(0, 12), '#join=', '#join=%%%']) {
      expect(parseRoute(hash)).toEqual({ kind: 'bad-invite', message })
    }
    expect(message).toMatch(/earlier version/)
  })
})
