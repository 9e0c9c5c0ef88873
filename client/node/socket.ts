import WebSocket from 'ws'
import type { SocketFactory, SocketLike } from '../core/sync/transport.js'

/**
 * Node has no global WebSocket before v22: use `ws`, whose API matches the parts we use.
 * `ws` emits 'error' when a connecting socket is closed; the engine has already let go of the
 * socket by then, so a listener keeps that from becoming an uncaught exception.
 */
export const nodeSocket: SocketFactory = (url) => {
  const socket = new WebSocket(url, { perMessageDeflate: false })
  socket.on('error', () => undefined)
  return socket as unknown as SocketLike
}
