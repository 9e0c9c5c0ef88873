import { bytesEqual, toHex, type DeviceKeys } from '../../../crypto/index.js'
import type { CrashLedger } from './crashLedger.js'
import type { CrashRoom } from './crashRoom.js'
import { ProtocolSocket } from './protocolSocket.js'

/**
 * Reads what the server holds, through the protocol as any member would ([S5]): a device of its
 * own joins every room and subscribes to each document from the ledger's cursor, and every
 * backlog item goes to the ledger in order until that document's `caught-up`. Frames are
 * answered in arrival order and a backlog is sent whole before the next frame is handled, so
 * the joins and subscriptions go out at once. Run while no device pushes, it sees exactly what
 * the store kept. Returns how many envelopes it read.
 */
export async function auditStore(url: string, keys: DeviceKeys, rooms: readonly CrashRoom[], ledger: CrashLedger, label: string): Promise<number> {
  const { socket, nonce } = await ProtocolSocket.open(url)
  let read = 0
  try {
    await socket.hello(keys, nonce)
    for (const join of await Promise.all(rooms.map((room) => room.join(nonce, keys)))) socket.send(join)
    for (const _ of rooms) await socket.take('joined')
    const docs = rooms.flatMap((room) => room.docs.map((doc) => ({ conv: room.conv, doc, docHex: toHex(doc) })))
    for (const { conv, doc, docHex } of docs) socket.send({ type: 'subscribe', conv, doc, cursor: ledger.cursor(docHex) })
    for (const { doc, docHex } of docs) {
      for (;;) {
        const msg = await socket.next(30_000)
        if (msg.type === 'caught-up' && bytesEqual(msg.doc, doc)) {
          if (msg.cursor !== ledger.cursor(docHex)) ledger.problem(`${label}: caught-up at ${msg.cursor}, the backlog ended at ${ledger.cursor(docHex)}`)
          break
        }
        if (msg.type === 'envelopes' && !msg.live && bytesEqual(msg.doc, doc)) {
          for (const item of msg.items) ledger.stored(docHex, item.sseq, item.env, label)
          read += msg.items.length
          continue
        }
        // No device pushes during an audit and none takes a snapshot: anything else is a finding.
        ledger.problem(`${label}: unexpected ${msg.type === 'error' ? `error ${msg.code}` : msg.type} while reading a backlog`)
        if (msg.type === 'error') throw new Error(`${label}: the audit was refused with ${msg.code}`)
      }
    }
  } finally {
    socket.close()
  }
  return read
}
