import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { randomBytes, toBase64Url } from '../../crypto/index.js'
import { ClientError, ClientErrorCode } from '../../client/core/errors.js'
import { newConvId } from '../../client/core/ids.js'
import { isRetiredInvitation, orgInviteLink, parseOrgInvitation, type OrgInvitation } from '../../client/core/team/orgInvite.js'
import { encodeRecord } from '../../client/core/storage/records.js'

/**
 * [T12] Invitation links in the URL fragment — to a conversation or an organisation: what alice
 * shares and bob (or eve) pastes. The fragment is untrusted input: only a coded error comes out.
 */
const alicesInvite = (over: Partial<OrgInvitation> = {}): OrgInvitation => ({
  org: newConvId(), name: 'Depot crew', invite: 'abcDEF123', secret: randomBytes(32), admin: randomBytes(32), adminBox: randomBytes(32), adminMailbox: randomBytes(32), expires: Date.UTC(2027, 0, 1), conversation: true, ...over,
})

function codeOf(input: string): string | undefined {
  try {
    parseOrgInvitation(input)
    return undefined
  } catch (err) {
    if (err instanceof ClientError) return err.code
    throw err
  }
}

const fragmentOf = (record: unknown) => `org=${toBase64Url(encodeRecord(record))}`
const validRecord = () => ({ v: 2, o: randomBytes(16), n: 'Depot crew', i: 'abc', s: randomBytes(32), a: randomBytes(32), x: randomBytes(32), m: randomBytes(32), e: 1 })

describe('parseOrgInvitation', () => {
  test('[T12] a link round-trips: space, name, invitation, keys, expiry, and whether it is a conversation', () => {
    for (const inv of [alicesInvite({ name: 'Dépôt — crew 🚚' }), alicesInvite({ conversation: undefined }), alicesInvite({ user: 'u1', conversation: undefined })]) {
      const back = parseOrgInvitation(orgInviteLink('https://chat.example/', inv))
      expect(back).toEqual(Object.fromEntries(Object.entries(inv).filter(([, v]) => v !== undefined)))
    }
  })

  test('[T12] the secret part is in the fragment, which browsers never send to a server', () => {
    const url = new URL(orgInviteLink('https://chat.example///', alicesInvite()))
    expect(url.origin + url.pathname).toBe('https://chat.example/')
    expect(url.search).toBe('')
    expect(url.hash.startsWith('#org=')).toBe(true)
  })

  test('[T12] accepts the full link, the bare fragment, the fragment with #, and surrounding whitespace', () => {
    const inv = alicesInvite()
    const link = orgInviteLink('https://chat.example', inv)
    const fragment = link.slice(link.indexOf('#') + 1)
    for (const input of [link, fragment, `#${fragment}`, `  ${link}\n`]) expect(parseOrgInvitation(input).invite).toBe(inv.invite)
  })

  test('[T12] M100: a truncated link (any shorter prefix of the payload)', () => {
    const link = orgInviteLink('https://chat.example', alicesInvite())
    const payloadStart = link.indexOf('org=') + 'org='.length
    for (let end = payloadStart; end < link.length; end++) expect(codeOf(link.slice(0, end)), `cut at ${end}`).toBe(ClientErrorCode.INVITE_MALFORMED)
  })

  test('[T12] M100: garbage, empty input, wrong lengths and types, trailing bytes', () => {
    for (const input of ['', '   ', 'hello', 'org=', '#org=', 'org=!!!!', 'https://chat.example/#org=AAAA', `org=${toBase64Url(randomBytes(80))}`]) {
      expect(codeOf(input), JSON.stringify(input)).toBe(ClientErrorCode.INVITE_MALFORMED)
    }
    const records = [
      { ...validRecord(), o: randomBytes(15) }, { ...validRecord(), s: randomBytes(31) }, { ...validRecord(), m: randomBytes(33) },
      { ...validRecord(), n: 'x'.repeat(201) }, { ...validRecord(), i: '' }, { ...validRecord(), c: 2 }, { ...validRecord(), v: 1 }, [1, 2, 3],
    ]
    for (const rec of records) expect(codeOf(fragmentOf(rec)), JSON.stringify(rec)).toBe(ClientErrorCode.INVITE_MALFORMED)
    expect(codeOf(fragmentOf(validRecord()))).toBeUndefined() // the control parses
    expect(codeOf(`org=${toBase64Url(Uint8Array.from([...encodeRecord(validRecord()), 0]))}`)).toBe(ClientErrorCode.INVITE_MALFORMED)
  })

  test('[T12] M101: an invitation from a newer version, whatever its other fields', () => {
    expect(codeOf(fragmentOf({ ...validRecord(), v: 3 }))).toBe(ClientErrorCode.INVITE_VERSION)
    expect(codeOf(fragmentOf({ v: 99, something: 'new' }))).toBe(ClientErrorCode.INVITE_VERSION)
  })

  test('[I1] M102: a conversation link of the retired format (`#join=`, which carried the key) lets nobody in', () => {
    const retired = `https://chat.example/#join=${toBase64Url(encodeRecord({ v: 1, c: randomBytes(16), e: 0, k: randomBytes(32), t: 'Depot crew' }))}`
    expect(isRetiredInvitation(retired)).toBe(true)
    expect(codeOf(retired)).toBe(ClientErrorCode.INVITE_RETIRED)
    expect(() => parseOrgInvitation('join=')).toThrow(/earlier version/)
  })

  test('[T12] property: arbitrary strings never throw anything but ClientError M100/M101/M102', () => {
    const valid = orgInviteLink('https://chat.example', alicesInvite())
    const inputs = fc.oneof(
      fc.string(),
      fc.stringMatching(/^(org|join)=[A-Za-z0-9_-]{0,120}$/),
      fc.uint8Array({ maxLength: 160 }).map((b) => `https://x/#org=${toBase64Url(b)}`),
      fc.tuple(fc.nat({ max: valid.length }), fc.string({ maxLength: 4 })).map(([i, s]) => valid.slice(0, i) + s + valid.slice(i + 1)),
    )
    fc.assert(
      fc.property(inputs, (input) => {
        try {
          parseOrgInvitation(input)
        } catch (err) {
          expect(err).toBeInstanceOf(ClientError)
          expect([ClientErrorCode.INVITE_MALFORMED, ClientErrorCode.INVITE_VERSION, ClientErrorCode.INVITE_RETIRED]).toContain((err as ClientError).code)
        }
      }),
      { numRuns: 2000 },
    )
  })
})
