/**
 * [S40] The address people open (`--public-url`, `PUBLIC_URL`): what invitation links and QR codes
 * point at when the server is reached some other way (a TLS proxy, a LAN name, the admin's own
 * http://localhost). Parsed before anything starts: an http(s) origin and nothing else, or
 * S140_PUBLIC_URL (main.ts exits with code 2). A path would be dropped silently by the links'
 * `origin + '/#org=…'`, so it is refused rather than ignored.
 */
export class PublicUrlError extends Error {
  override name = 'PublicUrlError'
  readonly code = 'S140_PUBLIC_URL'
  constructor(detail: string) {
    super(`S140_PUBLIC_URL: ${detail}. Give an origin such as https://chat.example.local or https://chat.example.local:8443.`)
  }
}

/** An http(s) origin with no trailing slash: `https://chat.example.local`, `https://[fd00::5]:8443`. */
export type PublicOrigin = string & { readonly __brand: 'PublicOrigin' }

export function parsePublicUrl(text: string): PublicOrigin {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new PublicUrlError('the public URL is not a URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new PublicUrlError(`the public URL must start with https:// or http://, not ${url.protocol.slice(0, 20)}//`)
  if (url.username || url.password) throw new PublicUrlError('the public URL must not carry a user name or password')
  // `new URL` turns an empty path into "/"; anything longer is a path the links would lose.
  if (url.pathname !== '/') throw new PublicUrlError(`the public URL must not have a path (${url.pathname.slice(0, 60)}): the app is served at the root`)
  if (url.search || text.includes('?')) throw new PublicUrlError('the public URL must not have a query')
  if (url.hash || text.includes('#')) throw new PublicUrlError('the public URL must not have a fragment')
  return url.origin as PublicOrigin
}
