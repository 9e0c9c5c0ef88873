import { expect, test } from 'vitest'
import { deriveAdminCapability, deriveCapability, generateEpochKey, rekeyProofBytes } from '../../crypto/index.js'
import { ErrorCode, type ServerMessage } from '../../protocol/index.js'
import { Device, Room, online, server } from './harness.js'

/**
 * [S10] Two admins rotate the same conversation from the same epoch at once, on two connections:
 * the check of `from` and the write are apart (the proof is verified in between), so only the
 * store's compare-and-swap decides. One rotation wins; the other is REKEY_CONFLICT with the
 * epoch that won, and the conversation is never taken back.
 */
test('[S10] of two rotations racing from one epoch, exactly one is stored; the other gets REKEY_CONFLICT with the winner\'s epoch', async () => {
  const srv = server()
  const room = new Room()
  const [a, b] = [await online(srv, new Device('alice'), room), await online(srv, new Device('bob'), room)]
  const admin = deriveAdminCapability(room.adminSecret, room.conv)
  const rekey = async (peer: typeof a, epoch: number) => {
    const cap = deriveCapability(generateEpochKey(), room.conv, epoch)
    const proof = await admin.signer.sign(rekeyProofBytes(peer.challenge, room.conv, epoch, cap.publicKey, admin.publicKey))
    return { type: 'rekey' as const, conv: room.conv, from: room.epoch, epoch, cap: cap.publicKey, admin: admin.publicKey, proof }
  }
  const [ra, rb] = [await rekey(a, 1), await rekey(b, 2)]
  const [fromA, fromB] = [a.trace.length, b.trace.length]
  a.send(ra)
  b.send(rb)
  const isAnswer = (m: ServerMessage) => m.type === 'joined' || (m.type === 'error' && m.code === ErrorCode.REKEY_CONFLICT)
  const answerOf = async (peer: typeof a, from: number) => {
    for (;;) {
      const found = peer.trace.slice(from).find(isAnswer)
      if (found) return found
      await peer.next(1)
    }
  }
  const answers = [await answerOf(a, fromA), await answerOf(b, fromB)]
  const won = answers.filter((m) => m.type === 'joined')
  const lost = answers.filter((m) => m.type === 'error')
  expect(won).toHaveLength(1)
  expect(lost).toEqual([expect.objectContaining({ code: ErrorCode.REKEY_CONFLICT, epoch: won[0]!.type === 'joined' ? won[0]!.epoch : -1 })])
  expect((await srv.ctx.store.getConv(room.conv))?.epoch).toBe(won[0]!.type === 'joined' ? won[0]!.epoch : -1)
})
