/**
 * [M14a] A turn of the event loop, as short as the platform allows: `setImmediate` in Node, a
 * message to a MessageChannel in browsers (a timer there waits at least 4 ms once nested), a
 * timer elsewhere. Long runs of local writes take one between their parts so that received
 * frames and the server's acks are handled meanwhile: without it a bot burst wrote its 10,000
 * messages before the first push's ack was read, and the server and the other devices waited.
 */
export function nextTurn(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown; MessageChannel?: typeof MessageChannel }
  if (g.setImmediate) return new Promise((r) => void g.setImmediate!(r))
  if (g.MessageChannel) {
    return new Promise((r) => {
      const { port1, port2 } = new g.MessageChannel!()
      port1.onmessage = () => {
        port1.close()
        r()
      }
      port2.postMessage(undefined)
    })
  }
  return new Promise((r) => setTimeout(r, 0))
}
