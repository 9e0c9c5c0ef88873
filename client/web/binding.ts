import { batch, createSignal, onCleanup, type Accessor } from 'solid-js'
import { createStore, reconcile } from 'solid-js/store'
import { ClientError, ClientErrorCode, clientErrorText } from '../core/errors.js'
import type { Identity } from '../core/identity.js'
import { NO_POLICY, type OrgPolicy } from '../core/team/org.js'
import type { ConversationSummary, DisplayMessage, Messenger, SendOptions, Status } from '../core/messenger.js'
import { bindMessageActions, type MessageActionsBinding } from './actionsBinding.js'
import type { ConvId, DeviceId } from '../../protocol/index.js'
import { rememberDevice } from './storeHealth.js'
import { bindFiles, type FilesBinding } from './files/fileBinding.js'
import { bindTeam, type InviteBinding, type SpaceInfo } from './teamBinding.js'
import { bindConversationRows } from './conversationRows.js'
import { bindConversationPresence, bindPresence, type ConversationPresence } from './presenceBinding.js'

/**
 * The thin layer between the engine and Solid: engine events become signals and stores, and
 * every action is one engine call. Components read these and call these; they hold no sync,
 * crypto or storage logic of their own.
 */
export interface Problem {
  readonly id: number
  readonly text: string
  readonly detail?: string
  readonly count: number
}

/** One member device as the members panel shows it. */
export interface MemberRow {
  readonly id: DeviceId
  readonly name: string
  /** This device. */
  readonly you: boolean
  readonly admin: boolean
}

export interface ConversationBinding {
  readonly conv: ConvId
  readonly messages: readonly DisplayMessage[]
  readonly hasEarlier: Accessor<boolean>
  /** Its window is loaded: before that the saved newest messages show ([M13a]), and a jump or "earlier" waits. */
  readonly opened: Accessor<boolean>
  /** [M13a] The rows shown are the saved newest messages, standing in while the window loads (they change together). */
  readonly previewing: Accessor<boolean>
  /** Set when the conversation cannot be opened (e.g. not on this device). */
  readonly error: Accessor<string | undefined>
  /** [T11] Some messages wait for a key this device does not hold yet. */
  readonly waitingForKey: Accessor<boolean>
  /** [T10] The server no longer lets this device read or write here (removed). */
  readonly accessLost: Accessor<boolean>
  /** Current members (removed devices left out), this device first, then by name. */
  readonly members: Accessor<readonly MemberRow[]>
  /** This device may remove members ([T10]). */
  readonly isAdmin: Accessor<boolean>
  /** The organisation itself or one of its groups; undefined for a conversation on its own. */
  readonly space: SpaceInfo | undefined
  /**
   * A conversation on its own: its one-time invitations ([T12]), which its admins make. An
   * organisation invites on its own page, and a group's people come from its organisation.
   */
  readonly invitations: InviteBinding | undefined
  /** [W4]–[W8] Files: the tray of chosen files, uploads, and received files (download, check, stream). */
  readonly files: FilesBinding
  /** [T21] The policy of the organisation this conversation belongs to (its blocked domains mark links, [U10]). */
  readonly policy: Accessor<OrgPolicy>
  /** [W20]–[W24] Receipt ticks, typing, the unread separator, marking read. */
  readonly presence: ConversationPresence
  retryKeys(): Promise<void>
  loadEarlier(): Promise<void>
  send(text: string, opts?: SendOptions): Promise<void>
  /** [W15]–[W19] Reply, react, edit, delete, pin, forward; the pinned messages; who a mention may name. */
  readonly actions: MessageActionsBinding
  /** Rejects with the engine's error; the caller reports it. */
  removeMember(id: DeviceId): Promise<void>
  /** [T3] A conversation on its own: make a member admin, or take it back. Undefined elsewhere. */
  readonly setAdmin: ((id: DeviceId, admin: boolean) => Promise<void>) | undefined
}

export type MessengerBinding = ReturnType<typeof bindMessenger>

const MAX_PROBLEMS = 5

export function bindMessenger(messenger: Messenger) {
  const [identity, setIdentity] = createSignal<Identity | undefined>(messenger.identity)
  const [status, setStatus] = createSignal<Status>(messenger.status)
  const [conversations, setConversations] = createStore<ConversationSummary[]>(messenger.conversations())
  const [problems, setProblems] = createStore<Problem[]>([])
  let nextProblem = 1
  const team = bindTeam(messenger)

  // [W9] The list as shown: previews, newest activity first, an organisation only under Organisations.
  const list = bindConversationRows(messenger, (conv) => team.spaceOf(conv)?.kind === 'org')
  const presence = bindPresence(messenger)
  const refreshConversations = () => {
    const all = messenger.conversations()
    setConversations(reconcile(all, { key: 'conv' }))
    list.setConversations(all)
  }
  refreshConversations()

  /** Repeats of the same problem raise a counter instead of stacking up identical alerts. */
  function report(text: string, detail?: string): void {
    const same = problems.findIndex((p) => p.text === text && p.detail === detail)
    if (same >= 0) return void setProblems(same, (p) => ({ ...p, count: p.count + 1 }))
    const problem: Problem = detail === undefined ? { id: nextProblem++, text, count: 1 } : { id: nextProblem++, text, detail, count: 1 }
    setProblems((list) => [...list, problem].slice(-MAX_PROBLEMS))
  }
  const reportCode = (code: ClientErrorCode, detail?: string) => report(clientErrorText[code], detail)
  const reportError = (err: unknown) => report(messageOf(err))

  const unsubscribe = [
    messenger.events.on('status', (s) => setStatus(s)),
    messenger.events.on('conversations', refreshConversations),
    messenger.events.on('messages', (e) => list.changed(e.conv)),
    messenger.events.on('problem', (p) => reportCode(p.code, p.detail)),
    messenger.events.on('unread', (e) => list.unreadChanged(e.conv, e.count)),
  ]
  if (messenger.corruptRecords.length) reportCode(ClientErrorCode.RECORD_CORRUPT, `${messenger.corruptRecords.length} item(s)`)

  return {
    messenger,
    identity,
    status,
    conversations,
    /** [W9] The conversation list's rows. */
    conversationRows: list.rows,
    /** [W20]–[W24] The read-receipts switch; unread counts (a conversation's, and the total). */
    presence,
    unreadOf: list.unreadOf,
    unreadTotal: list.unreadTotal,
    problems,
    team,
    report,
    reportError,
    dismiss(id: number) {
      setProblems((list) => list.filter((p) => p.id !== id))
    },
    /** Keys are made on this device; the engine starts once they exist. */
    async createIdentity(name: string): Promise<void> {
      const created = await messenger.createIdentity(name)
      rememberDevice(created.deviceId)
      messenger.start()
      setIdentity(created)
      setStatus(messenger.status)
      refreshConversations()
      team.refresh()
    },
    /** [M32] A new device from the recovery key: the person's profile, organisations and history. */
    async recover(key: string): Promise<void> {
      const { identity } = await messenger.recoverIdentity(key)
      rememberDevice(identity.deviceId)
      messenger.start()
      setIdentity(identity)
      setStatus(messenger.status)
      refreshConversations()
      team.refresh()
    },
    async createConversation(title: string): Promise<ConvId> {
      const conv = await messenger.createConversation(title)
      refreshConversations()
      return conv
    },
    /**
     * Answers an invitation link (a conversation's or an organisation's, [T12]). The answer goes
     * out now or once online; the space appears only when an admin's device lets this one in, so
     * `member` is usually false (true when this device was in already).
     */
    async join(link: string): Promise<{ org: ConvId; member: boolean }> {
      const { org } = await messenger.join(link)
      refreshConversations()
      team.refresh()
      return { org, member: messenger.team.isMember(org) }
    },
    titleOf(conv: ConvId): string {
      return conversations.find((c) => c.conv === conv)?.title ?? messenger.titleOf(conv)
    },
    /** Opens a conversation for as long as the calling component lives. */
    conversation(conv: ConvId): ConversationBinding {
      const [messages, setMessages] = createStore<DisplayMessage[]>([])
      const [hasEarlier, setHasEarlier] = createSignal(false)
      const [opened, setOpened] = createSignal(false)
      const [previewing, setPreviewing] = createSignal(messenger.previewing(conv))
      const [error, setError] = createSignal<string>()
      const [waitingForKey, setWaiting] = createSignal(messenger.waitingForKey(conv))
      const [accessLost, setLost] = createSignal(messenger.accessLost(conv))
      onCleanup(messenger.events.on('waiting', (e) => e.conv === conv && setWaiting(e.waiting)))
      onCleanup(messenger.events.on('access', (e) => e.conv === conv && setLost(e.lost)))
      const refresh = () =>
        batch(() => {
          const standIn = messenger.previewing(conv)
          setMessages(reconcile(messenger.messages(conv), { key: 'id' }))
          setPreviewing(standIn)
          setHasEarlier(!standIn && messenger.hasEarlier(conv))
        })
      onCleanup(messenger.events.on('messages', (e) => e.conv === conv && refresh()))
      // Keyed reconcile: rows keep their identity across refreshes (an open "Confirm remove" stays open).
      const [members, setMembers] = createStore<MemberRow[]>(memberRows(messenger, conv))
      const [isAdmin, setAdmin] = createSignal(messenger.isAdmin(conv))
      const space = team.spaceOf(conv)
      const policyNow = () => (messenger.identity ? messenger.team.policy(space?.org ?? conv) : NO_POLICY)
      const [policy, setPolicy] = createSignal<OrgPolicy>(policyNow(), { equals: (a, b) => JSON.stringify(a) === JSON.stringify(b) })
      const refreshMembers = () => {
        setMembers(reconcile(memberRows(messenger, conv), { key: 'id' }))
        setAdmin(messenger.isAdmin(conv))
        setPolicy(policyNow())
      }
      onCleanup(messenger.events.on('messages', (e) => e.conv === conv && refreshMembers()))
      onCleanup(messenger.events.on('conversations', refreshMembers))
      // Read once: whether a conversation stands on its own does not change while it is open.
      const alone = team.isConversation(conv)
      const convPresence = bindConversationPresence(messenger, conv, { presence, policy, members: () => members })
      messenger.openConversation(conv).then(() => (refresh(), setOpened(true), convPresence.opened(messages)), (err: unknown) => setError(messageOf(err)))
      return {
        conv,
        messages,
        hasEarlier,
        opened,
        previewing,
        error,
        waitingForKey,
        accessLost,
        members: () => members,
        isAdmin,
        space,
        policy,
        presence: convPresence,
        invitations: alone ? team.invitations(conv) : undefined,
        files: bindFiles(messenger, conv),
        retryKeys: () => messenger.retryKeys(conv).catch(reportError),
        loadEarlier: () => messenger.loadEarlier(conv).catch(reportError),
        send: async (text, opts) => void (await messenger.send(conv, text, opts)),
        actions: bindMessageActions(messenger, conv, () => conversations),
        removeMember: (id) => messenger.removeMember(conv, id),
        setAdmin: alone ? (id, admin) => team.setAdmin(conv, id, admin) : undefined,
      }
    },
    dispose() {
      for (const off of unsubscribe) off()
      list.dispose()
      team.dispose()
    },
  }
}

function memberRows(messenger: Messenger, conv: ConvId): MemberRow[] {
  const me = messenger.identity?.deviceId
  const admins = messenger.adminsOf(conv)
  const rows = [...messenger.members(conv)].map(([id, name]) => ({ id, name, you: id === me, admin: admins.has(id) }))
  return rows.sort((a, b) => Number(b.you) - Number(a.you) || a.name.localeCompare(b.name) || (a.id < b.id ? -1 : 1))
}

export function messageOf(err: unknown): string {
  if (err instanceof ClientError) return err.message
  return `Something went wrong: ${err instanceof Error ? err.message : String(err)}`
}
