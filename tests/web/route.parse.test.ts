import { describe, expect, it } from 'vitest'
import { generateEpochKey } from '../../crypto/index.js'
import { ClientErrorCode, clientErrorText } from '../../client/core/errors.js'
import { inviteFragment } from '../../client/core/conversations/invite.js'
import { newConvId } from '../../client/core/ids.js'
import { hrefOf, parseRoute } from '../../client/web/route.js'

/** The URL fragment is untrusted input: every shape maps to a typed route, never to a throw. */
describe('parseRoute', () => {
  const conv = newConvId()
  const fragment = `#${inviteFragment({ conv, epoch: 0, key: generateEpochKey(), title: 'Field team' })}`

  it('reads a conversation link and round-trips hrefOf', () => {
    expect(parseRoute(`#c=${conv}`)).toEqual({ kind: 'conversation', conv })
    expect(parseRoute(hrefOf({ kind: 'conversation', conv }))).toEqual({ kind: 'conversation', conv })
    expect(parseRoute(hrefOf({ kind: 'home' }))).toEqual({ kind: 'home' })
  })

  it('treats an unknown or malformed fragment as home', () => {
    for (const hash of ['', '#', '#/', '#c=', '#c=not-an-id', `#c=${conv}x`, '#x=1']) expect(parseRoute(hash)).toEqual({ kind: 'home' })
  })

  it('reads an invitation', () => {
    const route = parseRoute(fragment)
    expect(route.kind).toBe('join')
    if (route.kind === 'join') expect(route.invitation).toMatchObject({ conv, epoch: 0, title: 'Field team' })
  })

  it('[M100] turns a truncated or altered invitation into the M100 message', () => {
    const message = clientErrorText[ClientErrorCode.INVITE_MALFORMED]
    for (const hash of [fragment.slice(0, fragment.length / 2), fragment.slice(0, -1), '#join=', '#join=%%%', `${fragment}!`]) {
      expect(parseRoute(hash)).toEqual({ kind: 'bad-invite', message })
    }
  })
})
