import { asBoxPublicKey, createSigner, generateEpochKey, randomBytes, type EpochKey } from '../../../crypto/index.js'
import type { ConvId, DeviceId } from '../../../protocol/index.js'
import type { SyncEngine } from '../sync/engine.js'
import { ClientError, ClientErrorCode } from '../errors.js'
import type { Identity } from '../identity.js'
import { openKeyMail, sealKeyMail } from './keyMail.js'
import type { MailOutbox } from '../outbox/mailOutbox.js'
import type { Registry } from './registry.js'

export interface KeyringDeps {
  readonly registry: Registry
  readonly engine: SyncEngine
  readonly mailOut: MailOutbox
  readonly identity: Identity
  /** Member devices and their box keys, from the conversation's root ([M21]). */
  readonly memberBoxes: (conv: ConvId) => Promise<Map<DeviceId, { box: Uint8Array; mailbox: Uint8Array }>>
  readonly adminsOf: (conv: ConvId) => ReadonlySet<string>
  readonly refused: (detail: string) => void
}

/**
 * A conversation's epochs on this device: new epochs (admins), key mail out to members who lack
 * the current keys, key mail in from admins, and keys added by hand. The registry holds the
 * state; every change to it is a serialised update ([M21][M22]).
 */
export class Keyring {
  constructor(private readonly deps: KeyringDeps) {}

  /** Admins: a new random epoch and key, current at once; the server learns it by rekey. */
  async newEpoch(conv: ConvId): Promise<{ epoch: number; key: EpochKey }> {
    const rec = this.deps.registry.get(conv)
    if (!rec) throw new ClientError(ClientErrorCode.UNKNOWN_CONVERSATION)
    if (!rec.adminSecret) throw new ClientError(ClientErrorCode.NOT_ADMIN)
    let epoch = rec.epoch
    while (epoch === rec.epoch || epoch === 0 || rec.keys.has(epoch)) epoch = new DataView(randomBytes(4).buffer).getUint32(0)
    const key = generateEpochKey()
    await this.deps.registry.update(conv, (r) => ({ ...r, epoch, keys: new Map([...r.keys, [epoch, key]]), rekeyPending: true, keyed: { epoch, devices: [] } }))
    return { epoch, key }
  }

  /**
   * [M21] Admins: every member device that has not been sent the current epoch's keys (all of
   * them right after a rotation; later, one whose entry arrives late) gets them by key mail,
   * queued durably and sent before anything else on the next connection.
   */
  async mailToNewcomers(conv: ConvId): Promise<void> {
    const { registry, identity } = this.deps
    const rec = registry.get(conv)
    // Organisation spaces get their keys from rotations in their graph ([T13]), never by key mail.
    if (!rec?.adminSecret || rec.space || rec.keyed?.epoch !== rec.epoch) return
    const already = new Set(rec.keyed.devices)
    const boxes = [...(await this.deps.memberBoxes(conv))].filter(([d]) => d !== identity.deviceId && !already.has(d))
    if (boxes.length === 0) return
    const keys = [...rec.keys].map(([epoch, key]) => ({ epoch, key }))
    const signer = createSigner(identity.keys.signSecret)
    const mail = await Promise.all(boxes.map(async ([, m]) => ({ to: [m.mailbox], body: await sealKeyMail(conv, rec.epoch, keys, asBoxPublicKey(m.box), signer) })))
    await this.deps.mailOut.add(mail)
    const sent = boxes.map(([d]) => d)
    await registry.update(conv, (r) => (r.epoch === rec.epoch ? { ...r, keyed: { epoch: r.epoch, devices: [...new Set([...(r.keyed?.devices ?? []), ...sent])] } } : r))
    await this.deps.engine.flushMail()
  }

  /** [M21] Key mail from an admin: take the keys, switch to the new epoch, then let the server forget it. */
  async onMail(items: readonly { id: number; body: Uint8Array }[]): Promise<void> {
    const { registry, engine, identity } = this.deps
    const done: number[] = []
    for (const item of items) {
      const mail = await openKeyMail(item.body, identity.keys)
      if (mail && registry.get(mail.conv) && this.deps.adminsOf(mail.conv).has(mail.sender)) {
        // A replayed older mail (its current epoch is one this device already moved past) must
        // not take the conversation back to a key a removed member holds.
        const replay = (r: { epoch: number; keys: ReadonlyMap<number, unknown> }) => r.keys.has(mail.current) && r.epoch !== mail.current
        await registry.update(mail.conv, (r) => ({ ...r, keys: new Map([...r.keys, ...mail.keys.map((k) => [k.epoch, k.key] as const)]), epoch: replay(r) ? r.epoch : mail.current }))
        await engine.rejoin(mail.conv)
        await engine.retryKeys(mail.conv)
      } else {
        this.deps.refused('mailbox item refused')
      }
      done.push(item.id)
    }
    engine.mailDone(done)
  }

  /** Adds an epoch key this device received; `current` makes it the epoch to write under. */
  async add(conv: ConvId, epoch: number, key: EpochKey, current: boolean): Promise<void> {
    if (!this.deps.registry.get(conv)) throw new ClientError(ClientErrorCode.UNKNOWN_CONVERSATION)
    await this.deps.registry.update(conv, (r) => ({ ...r, keys: new Map([...r.keys, [epoch, key]]), epoch: current ? epoch : r.epoch }))
    if (current) await this.deps.engine.rejoin(conv)
    await this.deps.engine.retryKeys(conv)
  }
}
