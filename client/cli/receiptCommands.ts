import { parseConvId, type ConvId } from '../../protocol/index.js'
import type { DisplayMessage, Messenger } from '../core/messenger.js'
import type { Cli, Command } from './context.js'
import { usageError } from './errors.js'
import { result } from './output.js'

/** How long `read` waits for its receipt to go, and `messages --receipts` for the others' answers. */
const SEND_WAIT_MS = 5_000
const ANSWER_WAIT_MS = 2_000

function conv(input: string | undefined): ConvId {
  const id = parseConvId(input)
  if (!id) throw usageError(`not a conversation id: ${input ?? '(missing)'}`)
  return id
}

/** [M55]–[M58] `read CONV`: the CLI's "the person saw it". */
export const receiptCommands: Record<string, Command> = {
  /**
   * Connects (what waited on the server arrives first), marks the conversation read up to its
   * newest message from others, and waits until the receipt has gone to the devices online (at
   * most 5 s, within --timeout). A receipt is never queued: `sent: false` means nobody online got it.
   */
  async read(cli, args) {
    cli.identity()
    const id = conv(args[0])
    const { messenger } = cli
    await messenger.openConversation(id)
    await cli.connect()
    await messenger.markRead(id)
    const sent = await messenger.receiptSent(id, Math.min(SEND_WAIT_MS, cli.remaining()))
    const read = messenger.unread(id) === 0
    return result(sent ? 'marked read; the others online were told' : 'marked read on this device; nobody online was told (not sent)', { conv: id, read, sent, unread: messenger.unread(id) })
  },
}

/**
 * [M56] `messages CONV --receipts`: connects first and asks the other devices online for their
 * cursors, waiting up to 2 s (or until every other member device answered).
 */
export async function askReceipts(cli: Cli, id: ConvId): Promise<void> {
  const { messenger } = cli
  await cli.connect()
  let answers = 0
  const off = messenger.events.on('receipts', (e) => e.conv === id && answers++)
  try {
    const others = Math.max(1, messenger.team.memberDevices(id).length - 1)
    if (!(await messenger.askReceipts(id, Math.min(SEND_WAIT_MS, cli.remaining())))) return
    const deadline = Date.now() + Math.min(ANSWER_WAIT_MS, cli.remaining())
    while (answers < others && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  } finally {
    off()
  }
}

/** [M56] In `messages --json`: who has received and read each of this person's own messages. */
export const receiptsOf = (messenger: Messenger, id: ConvId, m: DisplayMessage): { receipts?: { delivered: string[]; read: string[] } } =>
  m.mine ? { receipts: messenger.receipts(id, m) } : {}
