import { createSignal, onCleanup, type Accessor } from 'solid-js'
import { createStore, reconcile } from 'solid-js/store'
import { ClientError, ClientErrorCode } from '../core/errors.js'
import type { Messenger } from '../core/messenger.js'
import { INVITE_TTL_MS, type DirectoryEntry, type GroupSummary, type Team } from '../core/team/team.js'
import type { VerifiedState } from '../core/team/verified.js'
import { NO_POLICY, type OrgPolicy, type PolicyChange } from '../core/team/org.js'
import { publicOrigin } from './publicOrigin.js'

// The whole policy: file rules and blocked domains change views too ([H8], [U10]).
const samePolicy = (a: OrgPolicy, b: OrgPolicy) => JSON.stringify(a) === JSON.stringify(b)
import type { ConvId, DeviceId } from '../../protocol/index.js'
import type { Stats, UsageReport } from '../core/stats/stats.js'

/**
 * Organisations, groups and conversations' invitations for the UI ([T1]–[T13]): `messenger.team`
 * read into keyed stores (rows keep their identity across refreshes, so an open confirm step or
 * a ticked box survives a sync), and every action is one `Team` call. The engine emits `conversations` whenever a
 * space's membership, names or keys change; that is the one refresh signal.
 */
export interface OrgRow {
  readonly org: ConvId
  readonly name: string
  readonly admin: boolean
}

/**
 * An invitation this device answered, waiting for an admin's device to let it in. The engine does
 * not say whether it leads to an organisation or a conversation, so the list says neither.
 */
export interface PendingJoin {
  readonly org: ConvId
  readonly orgName: string
  /** [T17] This device answered a device link: it waits for its person's device, then an admin's. */
  readonly device: boolean
  /** The invitation was to a conversation, not an organisation. */
  readonly conversation: boolean
}

export interface OpenInvite {
  readonly invite: string
  readonly expires: number
}

/** How long an invitation link works ([T12]): the engine's default, in days, for the words under it. */
export const INVITE_DAYS = Math.round(INVITE_TTL_MS / 86_400_000)

export interface NewInvite {
  readonly link: string
  readonly invite: string
  readonly expires: number
}

/** One device of a person ([T17]); `me` is this device. */
export interface DeviceRow {
  readonly device: DeviceId
  readonly me: boolean
}

export type { DirectoryEntry, GroupSummary, VerifiedState }

/**
 * A conversation inside an organisation: the organisation itself, or a group of one. A
 * conversation started on its own (a one-space organisation) has none: it has no organisation page.
 */
export interface SpaceInfo {
  readonly kind: 'org' | 'group'
  readonly org: ConvId
}

/** What one organisation's page reads and does. */
export interface OrgBinding {
  readonly org: ConvId
  readonly name: Accessor<string>
  /** This device is in the organisation (false for an unknown id, or once removed). */
  readonly known: Accessor<boolean>
  readonly isAdmin: Accessor<boolean>
  readonly directory: Accessor<readonly DirectoryEntry[]>
  readonly groups: Accessor<readonly GroupSummary[]>
  readonly invites: Accessor<readonly OpenInvite[]>
  /** Call inside a component: a person's devices, following the engine. */
  devices(user: string): Accessor<readonly DeviceRow[]>
  invite(): Promise<NewInvite>
  /** [T17] A one-time link (24 hours) to add another device of this device's person. */
  linkDevice(): Promise<NewInvite>
  /** [T17] This person's other device, or (admins) anyone's; never this device. */
  removeDevice(device: DeviceId): Promise<void>
  revoke(invite: string): Promise<void>
  promote(user: string): Promise<void>
  remove(user: string): Promise<void>
  verification(user: string): ReturnType<Team['verification']>
  /** [V2] Marks a colleague verified with their current devices, or clears it. */
  setVerified(user: string, verified: boolean): Promise<void>
  createGroup(name: string, history: boolean): Promise<ConvId>
  /** [T21] The organisation's device policy, and (admins) changing it. */
  readonly policy: Accessor<OrgPolicy>
  setPolicy(change: PolicyChange): Promise<void>
  /** client/core [Q3][Q7] Usage statistics: on or off and where collected (follows the policy); admins switch them; the collector reads them. */
  readonly stats: Accessor<ReturnType<Stats['status']>>
  setStats(on: boolean): Promise<void>
  usage(range: { from?: string; to?: string }): Promise<UsageReport>
}

/**
 * [T12] A conversation's one-time invitations (admins): make one, list the open ones, revoke.
 * Each link admits one person, once, within seven days (`INVITE_TTL_MS`).
 */
export interface InviteBinding {
  readonly invites: Accessor<readonly OpenInvite[]>
  invite(): Promise<NewInvite>
  revoke(invite: string): Promise<void>
}

/** A group's "Add people": the organisation's people who are not in it yet. */
export interface GroupAdmin {
  readonly candidates: Accessor<readonly DirectoryEntry[]>
  readonly canAdd: Accessor<boolean>
  add(users: readonly string[]): Promise<void>
}

export type TeamBinding = ReturnType<typeof bindTeam>

export function bindTeam(messenger: Messenger) {
  // `messenger.team` exists once the device has an identity.
  const team = (): Team | undefined => (messenger.identity ? messenger.team : undefined)
  // Conversations are one-space organisations: they are listed with the conversations, never here.
  const orgRows = (): OrgRow[] => (team()?.orgs() ?? []).filter((o) => !o.conversation).map(({ org, name, admin }) => ({ org, name, admin }))
  const [orgs, setOrgs] = createStore<OrgRow[]>(orgRows())
  const pendingRows = (): PendingJoin[] => team()?.pendingJoins() ?? []
  const [pending, setPending] = createStore<PendingJoin[]>(pendingRows())
  const refresh = () => {
    setOrgs(reconcile(orgRows(), { key: 'org' }))
    setPending(reconcile(pendingRows(), { key: 'org' }))
  }
  const off = messenger.events.on('conversations', refresh)

  /** A store that follows the engine for as long as the calling component lives. */
  function live<T extends object>(read: () => T[], key: string): Accessor<readonly T[]> {
    const [list, setList] = createStore<T[]>(read())
    onCleanup(messenger.events.on('conversations', () => setList(reconcile(read(), { key }))))
    return () => list
  }
  function liveValue<T>(read: () => T, opts?: { equals: (a: T, b: T) => boolean }): Accessor<T> {
    const [value, setValue] = createSignal<T>(read(), opts)
    onCleanup(messenger.events.on('conversations', () => setValue(() => read())))
    return value
  }
  const need = (): Team => {
    const t = team()
    if (!t) throw new Error('create an identity first')
    return t
  }

  return {
    orgs: (): readonly OrgRow[] => orgs,
    pending: (): readonly PendingJoin[] => pending,
    /** Stop waiting for an answer to an invitation ([T12]). */
    async cancelJoin(org: ConvId): Promise<void> {
      await need().cancelJoin(org)
      refresh()
    },
    refresh,
    async createOrg(name: string): Promise<ConvId> {
      const org = await need().createOrg(name)
      refresh()
      return org
    },
    /** Organisation or group, for a conversation on this device; none for a conversation on its own. */
    spaceOf(conv: ConvId): SpaceInfo | undefined {
      const t = team()
      const org = t?.isSpace(conv) && !t.isConversation(conv) ? t.orgOf(conv) : undefined
      return org ? { kind: org === conv ? 'org' : 'group', org } : undefined
    },
    /** A conversation started on its own (not an organisation or a group), on this device. */
    isConversation(conv: ConvId): boolean {
      return team()?.isConversation(conv) ?? false
    },
    /** Call inside a component: a conversation's invitations (its admins make and revoke them). */
    invitations(conv: ConvId): InviteBinding {
      const open = () => {
        const t = team()
        return t?.isConversation(conv) && t.canAdmin(conv) ? t.invites(conv) : []
      }
      return {
        invites: live(open, 'invite'),
        invite: async () => messenger.invite(conv, await publicOrigin()),
        revoke: (invite) => need().revokeInvite(conv, invite),
      }
    },
    /** [T3] A conversation's admins make another member admin, or take it back (never their own). */
    setAdmin(conv: ConvId, device: DeviceId, admin: boolean): Promise<void> {
      const t = need()
      const user = t.userOfDevice(conv, device)
      if (!user) return Promise.reject(new ClientError(ClientErrorCode.NOT_MEMBER))
      return admin ? t.promote(conv, user) : t.demote(conv, user)
    },
    /** Call inside a component: one organisation's page. */
    org(org: ConvId): OrgBinding {
      const known = () => orgRows().some((o) => o.org === org)
      const ifKnown = <T>(read: (t: Team) => T[]) => () => (known() ? read(need()) : [])
      return {
        org,
        name: liveValue(() => orgRows().find((o) => o.org === org)?.name ?? ''),
        known: liveValue(known),
        isAdmin: liveValue(() => known() && need().canAdmin(org)),
        directory: live(ifKnown((t) => t.directory(org)), 'user'),
        groups: live(ifKnown((t) => t.groups(org)), 'group'),
        invites: live(ifKnown((t) => t.invites(org)), 'invite'),
        devices: (user) => live(ifKnown((t) => t.devicesOf(org, user)), 'device'),
        invite: async () => need().invite(org, await publicOrigin()),
        linkDevice: async () => need().linkDevice(org, await publicOrigin()),
        removeDevice: (device) => need().removeDevice(org, device),
        revoke: (invite) => need().revokeInvite(org, invite),
        promote: (user) => need().promote(org, user),
        remove: (user) => need().removeFromOrg(org, user),
        verification: (user) => need().verification(org, user),
        setVerified: (user, verified) => need().setVerified(org, user, verified),
        createGroup: (name, history) => need().createGroup(org, name, { history }),
        policy: liveValue(() => (known() ? need().policy(org) : NO_POLICY), { equals: samePolicy }),
        setPolicy: (change) => need().setPolicy(org, change),
        stats: liveValue(() => (known() ? messenger.stats.status(org) : { on: false, collectingHere: false }), { equals: (a, b) => JSON.stringify(a) === JSON.stringify(b) }),
        setStats: (on) => (on ? messenger.stats.enable(org) : messenger.stats.disable(org)),
        usage: (range) => messenger.stats.report(org, range),
      }
    },
    /** Call inside a component: adding people to a group (its admins, and the organisation's). */
    groupAdmin(group: ConvId): GroupAdmin {
      const candidates = () => {
        const t = team()
        const org = t?.orgOf(group)
        const state = t?.group(group)
        if (!t || !org || !state) return []
        return t.directory(org).filter((e) => !state.members.has(e.user))
      }
      return {
        candidates: live(candidates, 'user'),
        canAdd: liveValue(() => team()?.canAdmin(group) ?? false),
        add: (users) => need().addToGroup(group, users),
      }
    },
    dispose: off,
  }
}
