import type { DisplayMessage } from '../core/messenger.js'
import { INVITE_TTL_MS } from '../core/team/team.js'
import { parseConvId, parseDeviceId, type ConvId } from '../../protocol/index.js'
import { arg, type Command } from './context.js'
import { usageError } from './errors.js'
import { accept, hours } from './orgCommands.js'
import { iso, lines, printLine, result } from './output.js'
import { kindOf } from './resolve.js'
import { sync } from './sync.js'
import { askReceipts, receiptsOf } from './receiptCommands.js'

/** Conversations: the commands the CLI had before organisations. */
export const convCommands: Record<string, Command> = {
  async init(cli) {
    const name = cli.options.name
    if (!name) throw usageError('init needs --name')
    const identity = cli.messenger.identity ?? (await cli.messenger.createIdentity(name))
    return result(`device ${identity.deviceId} (${identity.name})`, { deviceId: identity.deviceId, name: identity.name })
  },

  async create(cli) {
    cli.identity()
    const { messenger } = cli
    const ttlMs = hours(cli.options.ttl, INVITE_TTL_MS)
    const id = await messenger.createConversation(cli.options.title ?? 'Conversation')
    messenger.start()
    // Offline is fine here: the conversation and its invitation go out when the link is back;
    // the invitee is admitted by this device the next time it connects (`sync`).
    const inv = await messenger.invite(id, cli.options.origin, ttlMs)
    await cli.delivered({ messages: true }).catch(() => undefined)
    return result(`${id}\n${inv.link}`, { conv: id, link: inv.link, invite: inv.invite, expires: inv.expires, expiresAt: iso(inv.expires) })
  },

  /** A one-time invitation link (admins): one link admits one person. */
  async invite(cli, args) {
    const ttlMs = hours(cli.options.ttl, INVITE_TTL_MS)
    const id = conv(args[0])
    await cli.connect()
    const inv = await cli.messenger.invite(id, cli.options.origin, ttlMs)
    await cli.delivered()
    return result(`${inv.link}\ninvite ${inv.invite}, valid until ${iso(inv.expires)}`, { conv: id, link: inv.link, invite: inv.invite, expires: inv.expires, expiresAt: iso(inv.expires) })
  },

  /** Answers an invitation (a conversation's or an organisation's); waits to be admitted. */
  join: (cli, args) => accept(cli, args),

  async send(cli, args) {
    cli.identity()
    const { messenger } = cli
    const id = conv(args[0])
    const text = args.slice(1).join(' ')
    const n = Number(cli.options.count ?? 1)
    if (!Number.isInteger(n) || n < 1) throw usageError(`--count takes a positive whole number, not ${cli.options.count}`)
    messenger.start()
    await messenger.openConversation(id)
    const sent = []
    for (let i = 0; i < n; i++) sent.push(await messenger.send(id, n > 1 ? `${text} ${i + 1}` : text))
    await cli.delivered({ messages: true })
    // [M15] `refs` name the messages in the conversation (what the message commands take).
    return result(`sent ${sent.length}`, { sent: sent.map((m) => m.id), refs: sent.map((m) => m.ref) })
  },

  async list(cli) {
    const { messenger } = cli
    const conversations = messenger.identity
      ? messenger.conversations().map((c) => ({ ...c, kind: kindOf(messenger.team, c.conv), removed: messenger.accessLost(c.conv) }))
      : []
    // [M30] What this device deleted after it was removed: named, never listed as still here.
    const wiped = messenger.wiped().map((t) => ({ org: t.org, name: t.name, kind: t.conversation ? 'conversation' : 'org', reason: t.reason }))
    const human = lines([
      ...conversations.map((c) => [c.conv, c.title, `(${c.members} members)`, c.kind === 'conversation' ? '' : c.kind, c.removed ? '(removed)' : '']),
      ...wiped.map((w) => [w.org, w.name, `(${w.kind === 'conversation' ? '' : 'org, '}removed: its data on this device was deleted)`]),
    ])
    return result(human, { conversations, wiped })
  },

  async messages(cli, args) {
    const { messenger } = cli
    const id = conv(args[0])
    await messenger.openConversation(id)
    if (cli.options.all) while (messenger.hasEarlier(id)) await messenger.loadEarlier(id)
    if (cli.options.receipts) await askReceipts(cli, id)
    const messages = messenger.messages(id)
    return result(messages.map(describe).join('\n'), { conv: id, messages: messages.map((m) => ({ ...messageData(m), ...receiptsOf(messenger, id, m) })) })
  },

  async follow(cli, args) {
    cli.identity()
    const { messenger } = cli
    const id = conv(args[0])
    const seen = new Set<string>()
    const show = () => {
      for (const m of messenger.messages(id)) if (!seen.has(m.ref)) (seen.add(m.ref), printLine(cli.options.json, describe(m), messageData(m)))
    }
    await messenger.openConversation(id)
    show()
    messenger.events.on('messages', (e) => e.conv === id && show())
    messenger.start()
    await new Promise<void>((r) => process.once('SIGINT', r).once('SIGTERM', r))
    return undefined
  },

  async members(cli, args) {
    const { messenger } = cli
    const id = conv(args[0])
    await messenger.openConversation(id)
    const admins = messenger.adminsOf(id)
    const members = [...messenger.members(id)].map(([device, name]) => ({ device, name, admin: admins.has(device) }))
    return result(lines(members.map((m) => [m.device, m.name, m.admin ? '(admin)' : ''])), { conv: id, members })
  },

  async remove(cli, args) {
    cli.identity()
    const { messenger } = cli
    const id = conv(args[0])
    const device = parseDeviceId(args[1])
    if (!device) throw usageError(`not a device id: ${args[1] ?? '(missing)'}`)
    messenger.start()
    await messenger.openConversation(id)
    const name = messenger.members(id).get(device) ?? device
    await messenger.removeMember(id, device)
    await cli.delivered({ messages: true })
    return result(`removed ${name}; the key of ${messenger.titleOf(id)} was rotated`, { removed: device, conv: id })
  },

  sync,
}

function conv(input: string | undefined): ConvId {
  const id = parseConvId(input)
  if (!id) throw usageError(`not a conversation id: ${input ?? '(missing)'}`)
  return id
}

const describe = (m: DisplayMessage): string =>
  `${iso(m.ts)} ${m.authorName}${m.pending ? ' (pending)' : ''}: ${m.deleted ? '(deleted)' : m.text}${m.edited !== undefined ? ' (edited)' : ''}${m.reactions ? ` ${m.reactions.map((r) => `${r.emoji}${r.count}`).join(' ')}` : ''}`

const messageData = (m: DisplayMessage) => ({
  // [M15] `ref` names the message in the conversation (what the message commands take); `id` only in its segment.
  id: m.id, ref: m.ref, ts: m.ts, author: m.author, authorName: m.authorName, text: m.text, pending: m.pending, ...(m.replyTo ? { replyTo: m.replyTo } : {}),
  ...(m.replyRef ?? m.replyQuote?.ref ? { replyRef: m.replyRef ?? m.replyQuote?.ref } : {}),
  // [M40]–[M47]
  ...(m.replyQuote ? { replyQuote: m.replyQuote } : {}), ...(m.deleted ? { deleted: true } : {}), ...(m.edited !== undefined ? { edited: m.edited, edits: m.edits } : {}),
  ...(m.reactions ? { reactions: m.reactions } : {}), ...(m.pinned ? { pinned: true } : {}), ...(m.mentions ? { mentions: m.mentions } : {}), ...(m.mentionsMe ? { mentionsMe: true } : {}), ...(m.fwd ? { fwd: true } : {}),
  ...(m.exp !== undefined ? { exp: m.exp } : {}), // [M66]
})
