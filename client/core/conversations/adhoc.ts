import * as A from '@automerge/automerge'
import { generateEpochKey, randomBytes, toBase64Url } from '../../../crypto/index.js'
import type { ConvId, DeviceId, DocId } from '../../../protocol/index.js'
import type { DocStore } from '../documents/docs.js'
import type { SyncEngine } from '../sync/engine.js'
import { ClientError, ClientErrorCode } from '../errors.js'
import { normaliseName, type Identity } from '../identity.js'
import { newConversationId } from '../ids.js'
import type { Invitation } from './invite.js'
import type { Keyring } from './keyring.js'
import { rootDocOf, type ConversationLayout } from '../documents/layout.js'
import { readMembers, type RootDoc } from '../documents/model.js'
import type { ConversationRecord, Registry } from './registry.js'

export interface AdHocDeps {
  readonly registry: Registry
  readonly docs: DocStore
  readonly engine: SyncEngine
  readonly keyring: Keyring
  readonly layout: ConversationLayout
  readonly convOfDoc: Map<DocId, ConvId>
  /** Makes a local change to a root and queues it in the outbox. */
  readonly change: (conv: ConvId, doc: DocId, fns: A.ChangeFn<RootDoc>[]) => Promise<unknown>
  readonly members: (conv: ConvId) => Map<DeviceId, string>
  /** The list of conversations changed. */
  readonly conversationsChanged: () => void
}

/** This device's member entry in a root: its name, and its box key and mailbox address for key mail ([M21]). */
const memberEntry = (identity: Identity) => ({
  name: new A.ImmutableString(identity.name),
  at: Date.now(),
  box: new A.ImmutableString(toBase64Url(identity.keys.boxPublic)),
  mailbox: new A.ImmutableString(toBase64Url(identity.mailbox)),
})

/**
 * Conversations outside any team space: created by one device, their one admin, and joined from
 * an invitation. Only that admin removes members ([T10]) and answers a rekey conflict ([S10]).
 */
export class AdHocConversations {
  constructor(private readonly deps: AdHocDeps) {}

  async create(identity: Identity, title: string): Promise<ConvId> {
    const clean = normaliseName(title) || 'Conversation'
    const { conv, origin } = newConversationId(identity.keys.signPublic)
    // The creator holds the conversation's admin capability: it may rotate the key ([S10]), and
    // only it can register the conversation on the server ([S3]).
    await this.deps.registry.put({
      conv, title: clean, epoch: 0, keys: new Map([[0, generateEpochKey()]]), joinedAt: Date.now(), adminSecret: randomBytes(32), admins: [identity.deviceId], origin,
    })
    this.deps.convOfDoc.set(rootDocOf(conv), conv)
    await this.deps.change(conv, rootDocOf(conv), [
      (d: RootDoc) => {
        d.title = new A.ImmutableString(clean)
        d[`m:${identity.deviceId}`] = memberEntry(identity)
      },
    ])
    this.deps.conversationsChanged()
    await this.deps.engine.track(conv)
    return conv
  }

  async join(identity: Identity, inv: Invitation): Promise<ConvId> {
    const existing = this.deps.registry.get(inv.conv)
    if (!existing) {
      const keys = new Map([...(inv.history ?? []).map((h) => [h.epoch, h.key] as const), [inv.epoch, inv.key] as const])
      await this.deps.registry.put({ conv: inv.conv, title: inv.title, epoch: inv.epoch, keys, joinedAt: Date.now(), ...(inv.admins ? { admins: inv.admins } : {}) })
    }
    this.deps.convOfDoc.set(rootDocOf(inv.conv), inv.conv)
    const root = await this.deps.docs.doc<RootDoc>(rootDocOf(inv.conv))
    if (!root || !readMembers(root).has(identity.deviceId)) {
      await this.deps.change(inv.conv, rootDocOf(inv.conv), [
        (d: RootDoc) => {
          d[`m:${identity.deviceId}`] = memberEntry(identity)
        },
      ])
    }
    this.deps.conversationsChanged()
    await this.deps.engine.track(inv.conv)
    return inv.conv
  }

  /** [T10] The admin marks `device` removed in the root, then rotates the key. */
  async remove(identity: Identity, conv: ConvId, rec: ConversationRecord, device: DeviceId): Promise<void> {
    if (!rec.adminSecret) throw new ClientError(ClientErrorCode.NOT_ADMIN)
    if (device === identity.deviceId) throw new ClientError(ClientErrorCode.NOT_ADMIN, 'an admin cannot remove itself')
    if (!this.deps.members(conv).has(device)) throw new ClientError(ClientErrorCode.NOT_MEMBER)
    await this.deps.change(conv, rootDocOf(conv), [(d: RootDoc) => void (d[`x:${device}`] = { at: Date.now() })])
    await this.deps.keyring.newEpoch(conv)
    await this.deps.keyring.mailToNewcomers(conv)
    await this.deps.engine.rejoin(conv)
    this.deps.engine.requestFlush()
    await this.deps.layout.refresh(conv)
    this.deps.conversationsChanged()
  }

  /** [S10] The server is at `epoch`: rotate again from there when it is one of this admin's own. */
  async onRekeyConflict(conv: ConvId, epoch: number): Promise<void> {
    await this.deps.registry.update(conv, (r) => ({ ...r, serverEpoch: epoch, rekeyPending: r.keys.has(epoch) && r.epoch !== epoch }))
    await this.deps.engine.rejoin(conv)
  }
}
