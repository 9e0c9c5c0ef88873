import { nodeSocket } from '../../../client/node/socket.js'
import type { SocketFactory, SocketLike } from '../../../client/core/sync/transport.js'

/** A device's network link that a test can cut and restore, like airplane mode. */
export interface Link {
  readonly socket: SocketFactory
  setOnline(online: boolean): void
}

export function switchableLink(): Link {
  let online = true
  const live = new Set<SocketLike>()
  return {
    socket: (url) => {
      if (!online) throw new Error('offline')
      const s = nodeSocket(url)
      live.add(s)
      return s
    },
    setOnline(value) {
      online = value
      if (!value) {
        // A cut link, not a polite goodbye: no close handshake that could take ws's 30 s timeout.
        for (const s of live) (s as unknown as { terminate?: () => void }).terminate?.() ?? s.close()
        live.clear()
      }
    },
  }
}
