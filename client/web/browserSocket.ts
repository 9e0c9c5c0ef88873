import type { SocketFactory, SocketLike } from '../core/sync/transport.js'

/**
 * The browser's WebSocket, made honest about the network for the engine:
 *
 * - When the browser reports `offline`, an open socket is often left dangling (mobile radios,
 *   captive portals, DevTools emulation): nothing arrives and no close event comes, so the engine
 *   would show "Online" until its heartbeat gives up (3 × 15 s). This socket closes itself at
 *   once on the `offline` event and reports the close to the engine.
 * - While `navigator.onLine` is false (which, unlike `true`, is reliable) it does not dial at all
 *   and reports a close right away; the engine backs off and the `online` event kicks it.
 */
const CONNECTING = 0
const CLOSED = 3

export const browserSocket: SocketFactory = (url) => new BrowserSocket(url)

class BrowserSocket implements SocketLike {
  onopen: ((ev: unknown) => void) | null = null
  onmessage: ((ev: { data: unknown }) => void) | null = null
  onclose: ((ev: unknown) => void) | null = null
  onerror: ((ev: unknown) => void) | null = null
  private readonly ws: WebSocket | undefined
  private closed = false
  private type: BinaryType = 'arraybuffer'

  constructor(url: string) {
    if (!navigator.onLine) {
      setTimeout(() => this.finish({ code: 1006, reason: 'offline' }), 0)
      return
    }
    const ws = new WebSocket(url)
    ws.binaryType = this.type
    ws.onopen = (ev) => this.onopen?.(ev)
    ws.onmessage = (ev) => this.onmessage?.({ data: ev.data })
    ws.onerror = (ev) => this.onerror?.(ev)
    ws.onclose = (ev) => this.finish(ev)
    this.ws = ws
    // globalThis: the page, or the service worker's wake (client/web/sw, [M62]), which has no window.
    globalThis.addEventListener('offline', this.goneOffline)
  }

  get binaryType(): string {
    return this.type
  }
  set binaryType(value: string) {
    if (value !== 'arraybuffer' && value !== 'blob') throw new TypeError(`unsupported binaryType ${value}`)
    this.type = value
    if (this.ws) this.ws.binaryType = value
  }

  get readyState(): number {
    return this.closed ? CLOSED : (this.ws?.readyState ?? CONNECTING)
  }

  get bufferedAmount(): number {
    return this.ws?.bufferedAmount ?? 0
  }

  send(data: Uint8Array): void {
    this.ws?.send(data as Uint8Array<ArrayBuffer>)
  }

  close(code?: number, reason?: string): void {
    this.ws?.close(code, reason)
  }

  private readonly goneOffline = () => {
    this.ws?.close(4000, 'browser offline')
    this.finish({ code: 1006, reason: 'offline' })
  }

  /** Reports the close once, whichever comes first: the socket's own or ours. */
  private finish(ev: unknown): void {
    if (this.closed) return
    this.closed = true
    globalThis.removeEventListener('offline', this.goneOffline)
    if (this.ws) this.ws.onopen = this.ws.onmessage = this.ws.onerror = this.ws.onclose = null
    this.onclose?.(ev)
  }
}
