import { parseConvId, type ConvId } from '../../protocol/index.js'
import { ClientError, ClientErrorCode } from '../core/errors.js'
import { parseMessageRef, type MessageRef } from '../core/messenger.js'
import type { Cli, Command } from './context.js'
import { usageError } from './errors.js'
import { result } from './output.js'
import { waitUploaded } from './waitUploaded.js'

/**
 * [M40]–[M47] Actions on messages already written: each opens the conversation, finds the
 * message (loading older segments when it is not in the newest), makes the local change and
 * waits until the server has it (C300 otherwise: the change stays queued for the next `sync`).
 * MESSAGE: a message's `ref` as `messages --json` prints it ([M15]); a bare object id (`id`)
 * is taken only when exactly one message of the conversation has it (else a usage error).
 */
const OBJECT_ID = /^[1-9][0-9]{0,15}@[0-9a-f]{64}$/

export const messageCommands: Record<string, Command> = {
  async reply(cli, args) {
    const { conv, id, ref } = await target(cli, args)
    const text = args.slice(2).join(' ')
    const sent = await cli.messenger.send(conv, text, { replyTo: ref })
    await cli.delivered({ messages: true })
    return result(`replied ${sent.ref}`, { conv, id: sent.id, ref: sent.ref, replyTo: id, replyRef: ref })
  },

  async react(cli, args) {
    const { conv, id, ref } = await target(cli, args)
    const emoji = args[2]
    if (!emoji || args.length > 3) throw usageError('react takes CONV MESSAGE EMOJI [--remove]')
    const remove = cli.options.remove === true
    await (remove ? cli.messenger.unreact(conv, ref, emoji) : cli.messenger.react(conv, ref, emoji))
    await cli.delivered({ messages: true })
    return result(`${remove ? 'took back' : 'reacted'} ${emoji}`, { conv, id, emoji, removed: remove })
  },

  async edit(cli, args) {
    const { conv, id, ref } = await target(cli, args)
    await cli.messenger.edit(conv, ref, args.slice(2).join(' '))
    await cli.delivered({ messages: true })
    return result(`edited ${id}`, { conv, id, edited: true })
  },

  async delete(cli, args) {
    const { conv, id, ref } = await target(cli, args)
    if (args.length > 2) throw usageError('delete takes CONV MESSAGE')
    await cli.messenger.deleteMessage(conv, ref)
    await cli.delivered({ messages: true })
    return result(`deleted ${id} for everyone`, { conv, id, deleted: true })
  },

  async pin(cli, args) {
    const { conv, id, ref } = await target(cli, args)
    if (args.length > 2) throw usageError('pin takes CONV MESSAGE [--off]')
    const on = cli.options.off !== true
    await cli.messenger.pin(conv, ref, on)
    await cli.delivered({ messages: true })
    return result(`${on ? 'pinned' : 'unpinned'} ${id}`, { conv, id, pinned: on })
  },

  async forward(cli, args) {
    const { conv, id, ref } = await target(cli, args)
    const to = convOf(args[2])
    if (args.length > 3) throw usageError('forward takes CONV MESSAGE TO-CONV')
    await cli.messenger.openConversation(to)
    const sent = await cli.messenger.forward(conv, ref, to, cli.options.acceptWarning ? { confirmed: true } : {})
    if (sent.upload) {
      // [M44] With files: fetched, opened and sealed anew for `to`, then sent like send-file.
      await cli.connect().catch(() => undefined)
      await waitUploaded(cli, sent.upload)
      await cli.delivered({ messages: true, quietMs: 0 })
      const m = cli.messenger.messages(to).find((x) => x.tag === sent.upload)
      return result(`forwarded with ${m?.files?.length ?? 0} file(s) as ${m?.ref ?? sent.upload}`, { conv: to, id: m?.id, ref: m?.ref, from: conv, forwarded: id, upload: sent.upload })
    }
    const message = sent.message!
    await cli.delivered({ messages: true })
    return result(`forwarded as ${message.ref}`, { conv: to, id: message.id, ref: message.ref, from: conv, forwarded: id })
  },
}

/**
 * Opens the conversation and loads segments until the message is in the window (M550 if never).
 * `id` is what was typed (echoed in the output), `ref` the message it names.
 */
async function target(cli: Cli, args: readonly string[]): Promise<{ conv: ConvId; id: string; ref: MessageRef }> {
  cli.identity()
  const conv = convOf(args[0])
  const id = args[1]
  const asRef = parseMessageRef(id)
  if (!id || (!asRef && !OBJECT_ID.test(id))) throw usageError(`not a message ref: ${id ?? '(missing)'} (\`messages CONV --json\` lists them)`)
  const { messenger } = cli
  // A ref names one message; a bare object id may name one in each segment: all are loaded to know.
  const matches = () => messenger.messages(conv, { withHidden: true }).filter((m) => (asRef ? m.ref === asRef.ref : m.id === id))
  const found = async () => {
    await messenger.openConversation(conv)
    while ((asRef ? !matches().length : true) && messenger.hasEarlier(conv)) await messenger.loadEarlier(conv)
    return matches()
  }
  messenger.start()
  // Offline is fine for a message this device has; one it has not may be waiting on the server.
  let hits = await found()
  if (!hits.length) {
    await cli.connect()
    hits = await found()
  }
  if (!hits.length) throw new ClientError(ClientErrorCode.MESSAGE_NOT_FOUND)
  if (hits.length > 1) throw usageError(`${id} names ${hits.length} messages, one per segment: give one of their refs (${hits.map((m) => m.ref).join(', ')})`)
  return { conv, id, ref: hits[0]!.ref }
}

function convOf(input: string | undefined): ConvId {
  const id = parseConvId(input)
  if (!id) throw usageError(`not a conversation id: ${input ?? '(missing)'}`)
  return id
}
