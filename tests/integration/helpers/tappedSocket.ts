import { nodeSocket } from '../../../client/node/socket.js'
import { frameBytes, type SocketFactory, type SocketLike } from '../../../client/core/transport.js'
import { decodeServerFrame, encodeFrame, type ServerMessage } from '../../../protocol/index.js'

/**
 * A malicious server, seen from one device: every frame the server sends passes `filter`,
 * which may withhold it (return undefined) or alter it; `inject` plays a frame the device did
 * not get from the real server (a replay). The device's own frames go through unchanged.
 */
export interface Tap {
  readonly socket: SocketFactory
  filter: (msg: ServerMessage) => ServerMessage | undefined
  inject(msg: ServerMessage): void
}

export function tappedLink(): Tap {
  let deliver: ((msg: ServerMessage) => void) | undefined
  const tap: Tap = {
    filter: (m) => m,
    inject: (m) => deliver?.(m),
    socket: (url) => {
      const s = nodeSocket(url)
      let handler: SocketLike['onmessage'] = null
      deliver = (m) => handler?.({ data: encodeFrame(m) })
      s.onmessage = (ev) => {
        const bytes = frameBytes(ev.data)
        const decoded = bytes && decodeServerFrame(bytes)
        if (!decoded?.ok) return handler?.(ev)
        const out = tap.filter(decoded.message)
        if (out) handler?.(out === decoded.message ? ev : { data: encodeFrame(out) })
      }
      return new Proxy(s, {
        set(target, prop, value) {
          if (prop === 'onmessage') handler = value
          else (target as unknown as Record<string | symbol, unknown>)[prop] = value
          return true
        },
        get(target, prop) {
          const v = (target as unknown as Record<string | symbol, unknown>)[prop]
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
        },
      })
    },
  }
  return tap
}
