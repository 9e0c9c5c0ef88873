import { describe, expect, it } from 'vitest'
import { ClientErrorCode, clientErrorText } from '../../client/core/errors.js'
import { orgInviteLink } from '../../client/core/team/orgInvite.js'
import { newConvId } from '../../client/core/ids.js'
import { hrefOf, parseRoute } from '../../client/web/route.js'

/** [T12] Organisation routes: `#o=<org>` and one-time invitations `#org=…`, parsed, never trusted. */
describe('parseRoute, organisations', () => {
  const org = newConvId()
  const bytes = (fill: number) => new Uint8Array(32).fill(fill)
  const link = orgInviteLink('https://chat.example', { org, name: 'Acme', invite: 'inv1', secret: bytes(1), admin: bytes(2), adminBox: bytes(3), adminMailbox: bytes(4), expires: 1_900_000_000_000 })
  const fragment = link.slice(link.indexOf('#'))

  it('reads an organisation page link and round-trips hrefOf', () => {
    expect(parseRoute(`#o=${org}`)).toEqual({ kind: 'org', org })
    expect(parseRoute(hrefOf({ kind: 'org', org }))).toEqual({ kind: 'org', org })
    for (const hash of ['#o=', '#o=nope', `#o=${org}x`]) expect(parseRoute(hash)).toEqual({ kind: 'home' })
  })

  it('reads an organisation invitation, keeping the fragment for the engine', () => {
    const route = parseRoute(fragment)
    expect(route).toEqual({ kind: 'org-join', link: fragment, org, name: 'Acme', expires: 1_900_000_000_000 })
    // An organisation's invitation is not a conversation's: the join screen says "organisation".
    expect(route.kind === 'org-join' && route.conversation).toBeFalsy()
  })

  it('[T17] reads a device link as one', () => {
    const device = orgInviteLink('https://chat.example', { org, name: 'Acme', invite: 'inv2', secret: bytes(1), admin: bytes(2), adminBox: bytes(3), adminMailbox: bytes(4), expires: 1_900_000_000_000, user: 'u1' })
    expect(parseRoute(device.slice(device.indexOf('#')))).toMatchObject({ kind: 'org-join', org, device: true })
  })

  it('[M100] turns a truncated or altered organisation invitation into the M100 message', () => {
    const message = clientErrorText[ClientErrorCode.INVITE_MALFORMED]
    for (const hash of [fragment.slice(0, fragment.length / 2), fragment.slice(0, -1), '#org=', '#org=%%%', `${fragment}!`]) {
      expect(parseRoute(hash)).toEqual({ kind: 'bad-invite', message })
    }
  })
})
