import { beforeEach, describe, expect, test } from 'vitest'
import { forgetPublicOrigin, publicOrigin, type PageContext } from '../../client/web/publicOrigin.js'

/**
 * [S42] The origin the web app puts in invitation links and QR codes: the server's public URL,
 * else the page's own origin — whatever /v1/config answers, or fails to.
 */
const PAGE = 'http://localhost:8787'
const answering = (status: number, body: string): PageContext & { asked: string[] } => {
  const asked: string[] = []
  return { origin: PAGE, asked, fetch: async (url) => (asked.push(url), new Response(body, { status })) }
}
const offline: PageContext = { origin: PAGE, fetch: () => Promise.reject(new TypeError('Failed to fetch')) }

beforeEach(() => forgetPublicOrigin())

describe('[S42] publicOrigin', () => {
  test('the public URL the server names, asked at /v1/config', async () => {
    const page = answering(200, '{"publicUrl":"https://chat.example.local"}')
    expect(await publicOrigin(page)).toBe('https://chat.example.local')
    expect(page.asked).toEqual(['/v1/config'])
  })

  test.each([
    ['no public URL set', 200, '{"publicUrl":null}'],
    ['a server without /v1/config (the SPA fallback answers HTML)', 200, '<!doctype html><title>FieldChat</title>'],
    ['a server error', 503, '{"publicUrl":"https://chat.example.local"}'],
    ['a wrong shape', 200, '{"publicUrl":42}'],
    ['a scheme that is not http(s)', 200, '{"publicUrl":"javascript:alert(1)"}'],
    ['not a URL', 200, '{"publicUrl":"chat.example.local"}'],
  ])('falls back to the page origin: %s', async (_, status, body) => {
    expect(await publicOrigin(answering(status, body))).toBe(PAGE)
  })

  test('offline: the page origin, or the last answer this page had', async () => {
    expect(await publicOrigin(offline)).toBe(PAGE)
    expect(await publicOrigin(answering(200, '{"publicUrl":"https://chat.example.local/"}'))).toBe('https://chat.example.local')
    expect(await publicOrigin(offline)).toBe('https://chat.example.local')
    expect(await publicOrigin(answering(200, '{"publicUrl":null}'))).toBe(PAGE)
    expect(await publicOrigin(offline)).toBe(PAGE)
  })
})
