import { nodeSocket } from '../../../client/node/socket.js'
import { frameBytes, type SocketFactory, type SocketLike } from '../../../client/core/sync/transport.js'
import { decodeClientFrame, decodeServerFrame, type ClientMessage, type ServerMessage } from '../../../protocol/index.js'

/**
 * A device's link to a real server through a faulty hop: every frame the server sends passes
 * `frame` as raw bytes (with its decoding, when it has one), which may pass it, return other
 * bytes (damage), undefined (lose it) or several frames (one held back earlier, reordered). The
 * device's own frames are recorded in `sent`.
 */
export interface Mangler {
  readonly socket: SocketFactory
  frame: (bytes: Uint8Array, msg: ServerMessage | undefined) => Uint8Array | Uint8Array[] | undefined
  readonly sent: { socket: number; msg: ClientMessage }[]
  /** Sockets opened so far. */
  opened: number
}

export function mangledLink(): Mangler {
  const link: Mangler = {
    frame: (bytes) => bytes,
    sent: [],
    opened: 0,
    socket: (url) => {
      const s = nodeSocket(url)
      const index = link.opened++
      let handler: SocketLike['onmessage'] = null
      s.onmessage = (ev) => {
        const bytes = frameBytes(ev.data)
        if (!bytes) return handler?.(ev)
        const decoded = decodeServerFrame(bytes)
        const out = link.frame(bytes, decoded.ok ? decoded.message : undefined)
        for (const frame of out instanceof Uint8Array ? [out] : (out ?? [])) handler?.({ data: frame === bytes ? ev.data : frame })
      }
      const send = (bytes: Uint8Array) => {
        const decoded = decodeClientFrame(bytes)
        if (decoded.ok) link.sent.push({ socket: index, msg: decoded.message })
        s.send(bytes)
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
  return link
}

/** The live `envelopes` frames among server frames. */
export const isLive = (msg: ServerMessage | undefined): msg is Extract<ServerMessage, { type: 'envelopes' }> => msg?.type === 'envelopes' && msg.live
