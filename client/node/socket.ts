import WebSocket from 'ws'
import type { SocketFactory, SocketLike } from '../core/transport.js'

/** Node has no global WebSocket before v22: use `ws`, whose API matches the parts we use. */
export const nodeSocket: SocketFactory = (url) => new WebSocket(url, { perMessageDeflate: false }) as unknown as SocketLike
