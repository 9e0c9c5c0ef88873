import { parseConvId } from '../../protocol/index.js'
import type { Command } from './context.js'
import { usageError } from './errors.js'
import { iso, result } from './output.js'

/**
 * [V7] `calls CONV`: the conversation's call history (media is the browser's), after bringing
 * what waits on the server: one line per call, oldest first — when, the line a person reads
 * ("Missed video call from Ann", "Video call, 12 min: Ann, Bo"); with --json each call's video,
 * seconds, who was in it and whether it was missed.
 */
export const callsCommands: Record<string, Command> = {
  async calls(cli, args) {
    cli.identity()
    const conv = parseConvId(args[0])
    if (!conv || args.length !== 1) throw usageError(`calls takes CONV${args[0] && !conv ? `, not ${args[0]}` : ''}`)
    await cli.connect()
    await cli.messenger.openConversation(conv)
    const calls = cli.messenger.callHistory(conv)
    const human = calls.length ? calls.map((c) => `${iso(c.ts)} ${c.text}`).join('\n') : 'no calls'
    return result(human, { conv, calls: calls.map((c) => ({ at: iso(c.ts), author: c.author, video: c.video, seconds: c.dur, with: c.with, missed: c.missed, text: c.text })) })
  },
}
