import { expect, test } from 'vitest'
import { ClientErrorCode } from '../../client/core/errors.js'
import { TurnRequests } from '../../client/core/sync/turnRequests.js'

const answer = (username: string) => ({ type: 'turn-credentials' as const, urls: ['turn:t.example'], username, credential: 'c', ttl: 60 })

test('[M70] answers go to the oldest request; an unasked answer is dropped; no answer in time, a closed connection or nothing to send on is M571; 1410 is M570 for the oldest only', async () => {
  const t = new TurnRequests(() => 1_000)
  t.answer(answer('unasked'))
  const first = t.ask(() => true, 5_000)
  const second = t.ask(() => true, 5_000)
  t.answer(answer('a'))
  t.refused()
  expect(await first).toEqual({ urls: ['turn:t.example'], username: 'a', credential: 'c', expiresAt: 61_000 })
  await expect(second).rejects.toMatchObject({ code: ClientErrorCode.TURN_OFF })
  await expect(t.ask(() => false, 5_000)).rejects.toMatchObject({ code: ClientErrorCode.TURN_UNAVAILABLE })
  await expect(t.ask(() => true, 20)).rejects.toMatchObject({ code: ClientErrorCode.TURN_UNAVAILABLE })
  const cut = t.ask(() => true, 5_000)
  t.closed()
  await expect(cut).rejects.toMatchObject({ code: ClientErrorCode.TURN_UNAVAILABLE })
  // Nothing is left waiting: a later answer finds no request.
  t.answer(answer('late'))
})
