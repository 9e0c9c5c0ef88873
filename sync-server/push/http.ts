import type { IncomingMessage, ServerResponse } from 'node:http'

/** [S50] Where the app asks for the VAPID public key (its `applicationServerKey`). */
export const PUSH_CONFIG_PATH = '/v1/push'

export const isPushConfigPath = (url: string | undefined): boolean => url === PUSH_CONFIG_PATH || url?.startsWith(`${PUSH_CONFIG_PATH}?`) === true

/** GET /v1/push: `{"publicKey": "<base64url>"}`, or `null` when this server sends no Web Push. Public by design. */
export function pushConfigHandler(publicKey: string | undefined) {
  const body = JSON.stringify({ publicKey: publicKey ?? null })
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD' }).end()
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
    res.end(req.method === 'HEAD' ? undefined : body)
  }
}
