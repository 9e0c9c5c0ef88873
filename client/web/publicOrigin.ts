import * as z from 'zod'

/**
 * [S42] The origin invitation links and QR codes carry: the server's `--public-url` when it has
 * one (a phone on the LAN cannot reach the http://localhost:8787 the admin's browser may be on),
 * else the origin this page was opened at. Asked of GET /v1/config each time a link is made, so
 * a server restarted with another public URL is followed at once. The answer is untrusted input:
 * only an http(s) origin is taken. Offline, or from a server that predates /v1/config, the last
 * answer this page had is used, and failing that the page's own origin: a link is never refused.
 */
const configSchema = z.object({ publicUrl: z.string().max(2048).nullable() })

export interface PageContext {
  readonly origin: string
  readonly fetch: (url: string, init: RequestInit) => Promise<Response>
}

const browserPage = (): PageContext => ({ origin: location.origin, fetch: (url, init) => fetch(url, init) })

let lastAnswer: string | undefined

export async function publicOrigin(page: PageContext = browserPage()): Promise<string> {
  try {
    const res = await page.fetch('/v1/config', { cache: 'no-store', credentials: 'omit', signal: AbortSignal.timeout(3_000) })
    if (!res.ok) return lastAnswer ?? page.origin
    const config = configSchema.safeParse(await res.json())
    if (!config.success) return lastAnswer ?? page.origin
    lastAnswer = config.data.publicUrl === null ? page.origin : (originOf(config.data.publicUrl) ?? page.origin)
    return lastAnswer
  } catch {
    return lastAnswer ?? page.origin
  }
}

function originOf(text: string): string | undefined {
  try {
    const url = new URL(text)
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : undefined
  } catch {
    return undefined
  }
}

/** Tests only: forget the remembered answer. */
export function forgetPublicOrigin(): void {
  lastAnswer = undefined
}
