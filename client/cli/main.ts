import { parseArgs } from 'node:util'
import { join, resolve } from 'node:path'
import { Messenger, type DisplayMessage } from '../core/messenger.js'
import { ClientError } from '../core/errors.js'
import { parseInvitation } from '../core/invite.js'
import { parseConvId, parseDeviceId, type ConvId } from '../../protocol/index.js'
import { openSqliteLocalStore } from '../node/sqliteStore.js'
import { nodeSocket } from '../node/socket.js'
import { waitForSync } from './wait.js'

const USAGE = `fieldchat CLI: a headless client on the same engine as the app.

usage: npm run cli -- [--home DIR] [--server URL] [--json] <command> [args]

  init --name NAME            create this device's keys and display name
  create --title TITLE        create a conversation; prints its id and invitation link
  invite CONV                 print a conversation's invitation link
  join LINK                   join from an invitation link (or its #join=… fragment)
  send CONV TEXT [--count N]  write a message (N numbered copies with --count); waits for delivery
  list                        conversations on this device
  messages CONV [--all]       print messages (newest segment; --all loads every segment)
  follow CONV                 print messages as they arrive (Ctrl-C to stop)
  members CONV                list members (device id, name, admin)
  remove CONV DEVICE          remove a member's device (conversation admins): rotates the key
  sync                        connect, deliver pending messages, fetch new ones, exit

  --home    data folder of this device (default ./.fieldchat, env FIELDCHAT_HOME)
  --server  sync server WebSocket URL (default ws://127.0.0.1:8787/sync, env FIELDCHAT_SERVER)
  --origin  app origin used in invitation links (default http://localhost:8787)
  --timeout seconds to wait for the server in send/sync (default 30)
`

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    home: { type: 'string' },
    server: { type: 'string' },
    origin: { type: 'string' },
    json: { type: 'boolean', default: false },
    name: { type: 'string' },
    title: { type: 'string' },
    count: { type: 'string' },
    all: { type: 'boolean', default: false },
    timeout: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
})

const [command, ...args] = positionals
if (values.help || !command) {
  process.stdout.write(USAGE)
  process.exit(command ? 0 : 2)
}

const home = resolve(values.home ?? process.env.FIELDCHAT_HOME ?? '.fieldchat')
const server = values.server ?? process.env.FIELDCHAT_SERVER ?? 'ws://127.0.0.1:8787/sync'
const origin = values.origin ?? 'http://localhost:8787'
const timeoutMs = Number(values.timeout ?? 30) * 1000
const store = openSqliteLocalStore(join(home, 'device.sqlite'))
const messenger = await Messenger.open({ store, url: server, socket: nodeSocket })
const json = values.json

function out(human: string, data: unknown): void {
  process.stdout.write(json ? `${JSON.stringify(data)}\n` : `${human}\n`)
}

function conv(arg: string | undefined): ConvId {
  const id = parseConvId(arg)
  if (!id) throw new Error(`not a conversation id: ${arg ?? '(missing)'}`)
  return id
}

function printMessage(m: DisplayMessage): void {
  out(`${new Date(m.ts).toISOString()} ${m.authorName}${m.pending ? ' (pending)' : ''}: ${m.text}`, {
    id: m.id, ts: m.ts, author: m.author, authorName: m.authorName, text: m.text, pending: m.pending, ...(m.replyTo ? { replyTo: m.replyTo } : {}),
  })
}

function requireIdentity(): void {
  if (!messenger.identity) throw new Error('no identity on this device yet: run `init --name NAME` first')
}

try {
  switch (command) {
    case 'init': {
      if (!values.name) throw new Error('init needs --name')
      const identity = messenger.identity ?? (await messenger.createIdentity(values.name))
      out(`device ${identity.deviceId} (${identity.name})`, { deviceId: identity.deviceId, name: identity.name })
      break
    }
    case 'create': {
      requireIdentity()
      const id = await messenger.createConversation(values.title ?? 'Conversation')
      messenger.start()
      await waitForSync(messenger, timeoutMs).catch(() => undefined)
      out(`${id}\n${messenger.inviteLink(origin, id)}`, { conv: id, link: messenger.inviteLink(origin, id) })
      break
    }
    case 'invite':
      out(messenger.inviteLink(origin, conv(args[0])), { link: messenger.inviteLink(origin, conv(args[0])) })
      break
    case 'join': {
      requireIdentity()
      const id = await messenger.join(parseInvitation(args[0] ?? ''))
      messenger.start()
      await waitForSync(messenger, timeoutMs).catch(() => undefined)
      out(`joined ${id} (${messenger.titleOf(id)})`, { conv: id, title: messenger.titleOf(id) })
      break
    }
    case 'send': {
      requireIdentity()
      const id = conv(args[0])
      const text = args.slice(1).join(' ')
      const count = Number(values.count ?? 1)
      messenger.start()
      await messenger.openConversation(id)
      const sent = []
      for (let i = 0; i < count; i++) sent.push(await messenger.send(id, count > 1 ? `${text} ${i + 1}` : text))
      await waitForSync(messenger, timeoutMs)
      out(`sent ${sent.length}`, { sent: sent.map((m) => m.id) })
      break
    }
    case 'list':
      for (const c of messenger.conversations()) out(`${c.conv}  ${c.title}  (${c.members} members)`, c)
      break
    case 'messages': {
      const id = conv(args[0])
      await messenger.openConversation(id)
      if (values.all) while (messenger.hasEarlier(id)) await messenger.loadEarlier(id)
      for (const m of messenger.messages(id)) printMessage(m)
      break
    }
    case 'members': {
      const id = conv(args[0])
      await messenger.openConversation(id)
      const admins = messenger.adminsOf(id)
      for (const [device, name] of messenger.members(id)) {
        out(`${device}  ${name}${admins.has(device) ? '  (admin)' : ''}`, { device, name, admin: admins.has(device) })
      }
      break
    }
    case 'remove': {
      requireIdentity()
      const id = conv(args[0])
      const device = parseDeviceId(args[1])
      if (!device) throw new Error(`not a device id: ${args[1] ?? '(missing)'}`)
      messenger.start()
      await messenger.openConversation(id)
      const name = messenger.members(id).get(device) ?? device
      await messenger.removeMember(id, device)
      await waitForSync(messenger, timeoutMs).catch(() => undefined)
      out(`removed ${name}; the key of ${messenger.titleOf(id)} was rotated`, { removed: device, conv: id })
      break
    }
    case 'sync':
      requireIdentity()
      messenger.start()
      await waitForSync(messenger, timeoutMs)
      const removedFrom = messenger.conversations().filter((c) => messenger.accessLost(c.conv))
      for (const c of removedFrom) out(`You were removed from ${c.title}`, { removedFrom: c.conv, title: c.title })
      out(`in sync (${messenger.status.pending} pending)`, messenger.status)
      break
    case 'follow': {
      requireIdentity()
      const id = conv(args[0])
      const seen = new Set<string>()
      const show = () => {
        for (const m of messenger.messages(id)) if (!seen.has(m.id)) (seen.add(m.id), printMessage(m))
      }
      await messenger.openConversation(id)
      show()
      messenger.events.on('messages', (e) => e.conv === id && show())
      messenger.start()
      await new Promise<void>((r) => process.once('SIGINT', r).once('SIGTERM', r))
      break
    }
    default:
      throw new Error(`unknown command: ${command}\n\n${USAGE}`)
  }
  await messenger.stop()
  await store.close()
} catch (err) {
  const message = err instanceof ClientError ? `${err.code}: ${err.message}` : (err as Error).message
  process.stderr.write(`error: ${message}\n`)
  await messenger.stop().catch(() => undefined)
  process.exit(1)
}
