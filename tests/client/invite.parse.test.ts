import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { generateEpochKey, randomBytes, toBase64Url } from '../../crypto/index.js'
import { ClientError, ClientErrorCode } from '../../client/core/errors.js'
import { newConvId } from '../../client/core/ids.js'
import { inviteFragment, inviteLink, parseInvitation, type Invitation } from '../../client/core/conversations/invite.js'
import { encodeRecord } from '../../client/core/storage/records.js'

/** [I1] Invitations in the URL fragment: what alice shares and bob (or eve) pastes. */
const alicesInvite = (over: Partial<Invitation> = {}): Invitation => ({ conv: newConvId(), epoch: 0, key: generateEpochKey(), title: 'Depot crew', ...over })

function codeOf(input: string): string | undefined {
  try {
    parseInvitation(input)
    return undefined
  } catch (err) {
    if (err instanceof ClientError) return err.code
    throw err
  }
}

const fragmentOf = (record: unknown) => `join=${toBase64Url(encodeRecord(record))}`
const validRecord = () => ({ v: 1, c: randomBytes(16), e: 0, k: randomBytes(32), t: 'Depot crew' })

describe('parseInvitation', () => {
  test('[I1] a link round-trips: conversation, epoch, key and title', () => {
    const inv = alicesInvite({ epoch: 7, title: 'Dépôt — crew 🚚' })
    const back = parseInvitation(inviteLink('https://chat.example/', inv))
    expect(back).toEqual(inv)
  })

  test('[I1] the secret part is in the fragment, which browsers never send to a server', () => {
    const link = inviteLink('https://chat.example///', alicesInvite())
    const url = new URL(link)
    expect(url.origin + url.pathname).toBe('https://chat.example/')
    expect(url.search).toBe('')
    expect(url.hash.startsWith('#join=')).toBe(true)
  })

  test('[I1] accepts the full link, the bare fragment, the fragment with #, and surrounding whitespace', () => {
    const inv = alicesInvite()
    const fragment = inviteFragment(inv)
    for (const input of [inviteLink('https://chat.example', inv), fragment, `#${fragment}`, `  ${inviteLink('http://localhost:5173', inv)}\n`]) {
      expect(parseInvitation(input)).toEqual(inv)
    }
  })

  test('[I1] M100: a truncated link (any shorter prefix of the payload)', () => {
    const link = inviteLink('https://chat.example', alicesInvite())
    const payloadStart = link.indexOf('join=') + 'join='.length
    for (let end = payloadStart; end < link.length; end++) expect(codeOf(link.slice(0, end)), `cut at ${end}`).toBe(ClientErrorCode.INVITE_MALFORMED)
  })

  test('[I1] M100: garbage and empty input', () => {
    for (const input of ['', '   ', 'hello', 'join=', '#join=', 'join=!!!!', 'https://chat.example/', 'https://chat.example/#', 'https://chat.example/#join=AAAA', 'join=AA==', `join=${toBase64Url(randomBytes(80))}`]) {
      expect(codeOf(input), JSON.stringify(input)).toBe(ClientErrorCode.INVITE_MALFORMED)
    }
  })

  test('[I1] M100: wrong lengths and wrong field types', () => {
    const records = [
      { ...validRecord(), c: randomBytes(15) },
      { ...validRecord(), c: randomBytes(17) },
      { ...validRecord(), k: randomBytes(31) },
      { ...validRecord(), k: randomBytes(33) },
      { ...validRecord(), e: -1 },
      { ...validRecord(), e: 1.5 },
      { ...validRecord(), e: 2 ** 32 },
      { ...validRecord(), t: 'x'.repeat(201) },
      { ...validRecord(), t: 5 },
      { ...validRecord(), v: 0 },
      { ...validRecord(), v: '1' },
      { c: randomBytes(16), e: 0, k: randomBytes(32), t: '' },
      [1, 2, 3],
      'join',
    ]
    for (const rec of records) expect(codeOf(fragmentOf(rec)), JSON.stringify(rec)).toBe(ClientErrorCode.INVITE_MALFORMED)
    expect(codeOf(fragmentOf(validRecord()))).toBeUndefined() // the control parses
  })

  test('[I1] M100: extra characters after the payload, or another parameter after it', () => {
    const link = inviteLink('https://chat.example', alicesInvite())
    for (const input of [`${link}A`, `${link}AA`, `${link}AAAA`, `${link}&x=1`, `${link}!`, `${link} x`]) {
      expect(codeOf(input), input.slice(-8)).toBe(ClientErrorCode.INVITE_MALFORMED)
    }
    // Extra CBOR bytes after the record (trailing data) are refused too.
    const bytes = encodeRecord(validRecord())
    expect(codeOf(`join=${toBase64Url(Uint8Array.from([...bytes, 0]))}`)).toBe(ClientErrorCode.INVITE_MALFORMED)
  })

  test('[I1] M101: an invitation from a newer version, whatever its other fields', () => {
    expect(codeOf(fragmentOf({ ...validRecord(), v: 2 }))).toBe(ClientErrorCode.INVITE_VERSION)
    expect(codeOf(fragmentOf({ v: 99, something: 'new' }))).toBe(ClientErrorCode.INVITE_VERSION)
  })

  test('[I1] each code carries the sentence a person sees', () => {
    expect(() => parseInvitation('join=')).toThrow(/incomplete or damaged/)
    expect(() => parseInvitation(fragmentOf({ v: 2 }))).toThrow(/newer version/)
  })

  test('[I1] property: arbitrary strings never throw anything but ClientError M100/M101', () => {
    const valid = inviteLink('https://chat.example', alicesInvite())
    const inputs = fc.oneof(
      fc.string(),
      fc.string({ unit: 'grapheme' }),
      fc.stringMatching(/^join=[A-Za-z0-9_-]{0,120}$/),
      fc.uint8Array({ maxLength: 120 }).map((b) => `https://x/#join=${toBase64Url(b)}`),
      fc.tuple(fc.nat({ max: valid.length }), fc.string({ maxLength: 4 })).map(([i, s]) => valid.slice(0, i) + s + valid.slice(i + 1)),
    )
    fc.assert(
      fc.property(inputs, (input) => {
        try {
          parseInvitation(input)
        } catch (err) {
          expect(err).toBeInstanceOf(ClientError)
          expect([ClientErrorCode.INVITE_MALFORMED, ClientErrorCode.INVITE_VERSION]).toContain((err as ClientError).code)
        }
      }),
      { numRuns: 2000 },
    )
  })
})
