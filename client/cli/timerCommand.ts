import { parseConvId } from '../../protocol/index.js'
import { ClientError, ClientErrorCode } from '../core/errors.js'
import { durationText, parseDuration } from '../core/documents/timer.js'
import type { Command } from './context.js'
import { usageError } from './errors.js'
import { result } from './output.js'

/**
 * [M65] `timer CONV [DURATION|off]`: sets the conversation's disappearing-messages timer for
 * every member (5m, 1h, 8h, 1d, 7d, 30d, 90d or off; anything else is M560), after bringing what
 * waits on the server, and waits until the server has it; without DURATION, prints the timer, the organisation's maximum and what a
 * message sent now gets.
 */
export const timerCommands: Record<string, Command> = {
  async timer(cli, args) {
    cli.identity()
    const conv = parseConvId(args[0])
    if (!conv) throw usageError(`not a conversation id: ${args[0] ?? '(missing)'}`)
    if (args.length > 2) throw usageError('timer takes CONV [DURATION|off]')
    // In step with the server first: the timer shown (or replaced) is the one the members see.
    await cli.connect()
    await cli.messenger.openConversation(conv)
    if (args[1] !== undefined) {
      const seconds = parseDuration(args[1])
      if (seconds === undefined) throw new ClientError(ClientErrorCode.TIMER_INVALID, args[1])
      await cli.messenger.setTimer(conv, seconds)
      await cli.delivered({ messages: true })
    }
    const t = cli.messenger.timer(conv)
    const human = `disappearing messages: ${durationText(t.seconds)}${t.orgMax ? ` (organisation maximum ${durationText(t.orgMax)}; new messages: ${durationText(t.effective)})` : ''}`
    return result(human, { conv, ...t })
  },
}
