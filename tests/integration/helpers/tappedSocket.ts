import { nodeSocket } from '../../../client/node/socket.js'
import { frameBytes, type SocketFactory, type SocketLike } from '../../../client/core/sync/transport.js'
import { decodeClientFrame, decodeServerFrame, encodeFrame, type ClientMessage, type ServerMessage } from '../../../protocol/index.js'

/**
 * A malicious server, seen from one device: every frame the server sends passes `filter`,
 * which may withhold it (return undefined) or alter it; `inject` plays a frame the device did
 * not get from the real server (a replay). The device's own frames pass `hold`: a frame it
 * holds back (a slow link on the way up) is sent, in order, by `release`.
 */
export interface Tap {
  readonly socket: SocketFactory
  filter: (msg: ServerMessage) => ServerMessage | undefined
  hold: (msg: ClientMessage) => boolean
  inject(msg: ServerMessage): void
  release(): void
}

export function tappedLink(): Tap {
  let deliver: ((msg: ServerMessage) => void) | undefined
  let held: { send: (b: Uint8Array) => void; bytes: Uint8Array }[] = []
  const tap: Tap = {
    filter: (m) => m,
    hold: () => false,
    inject: (m) => deliver?.(m),
    release: () => {
      const out = held
      held = []
      for (const h of out) h.send(h.bytes)
    },
    socket: (url) => {
      const s = nodeSocket(url)
      const send = (bytes: Uint8Array) => {
        const decoded = decodeClientFrame(bytes)
        if (decoded.ok && tap.hold(decoded.message)) held.push({ send: (b) => s.send(b), bytes })
        else s.send(bytes)
      }
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
          if (prop === 'send') return send
          const v = (target as unknown as Record<string | symbol, unknown>)[prop]
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
        },
      })
    },
  }
  return tap
}
