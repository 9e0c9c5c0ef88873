import * as z from 'zod'
import { bytesEqual, compareVerificationText, fromHex, safetyNumber, toBase64Url, verificationCode, type VerificationVerdict } from '../../../crypto/index.js'
import type { ConvId } from '../../../protocol/index.js'
import type { LocalStore } from '../storage/LocalStore.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'

/** [V2] How this person stands with a colleague's keys. */
export type VerifiedState = 'verified' | 'changed' | 'unverified'

const recordSchema = z.object({ code: z.instanceof(Uint8Array).refine((b) => b.length === 31) })

/**
 * [V2] Colleagues this person verified ([V1]), each with the verification code their devices had
 * then. Kept on this device only. When the directory later states other devices for them (a new
 * phone, or a swapped key), the state is `changed` until they are verified again.
 */
export class VerifiedPeople {
  private readonly codes = new Map<string, Uint8Array>()
  /** Verification codes cost 5,200 SHA-512 rounds: one per person and set of devices. */
  private readonly current = new Map<string, Uint8Array>()

  constructor(private readonly store: LocalStore) {}

  async load(): Promise<void> {
    for (const e of await this.store.range(['verified'])) {
      const rec = decodeRecord(e.value, recordSchema)
      if (rec) this.codes.set(`${e.key[1]}/${e.key[2]}`, rec.code)
    }
  }

  /** A colleague's code as the directory states their devices (hex signing keys). */
  codeOf(user: string, devices: readonly string[]): Uint8Array {
    const key = `${user}/${devices.join()}`
    let code = this.current.get(key)
    if (!code) this.current.set(key, (code = verificationCode(user, devices.map((d) => fromHex(d)!))))
    return code
  }

  state(org: ConvId, user: string, devices: readonly string[]): VerifiedState {
    const had = this.codes.get(`${org}/${user}`)
    return !had ? 'unverified' : bytesEqual(had, this.codeOf(user, devices)) ? 'verified' : 'changed'
  }

  /** Marks the colleague verified with the devices the directory states now (or clears it). */
  async set(org: ConvId, user: string, devices: readonly string[] | undefined): Promise<void> {
    const code = devices && this.codeOf(user, devices)
    await this.store.write([{ key: ['verified', org, user], value: code ? encodeRecord({ code }) : undefined }])
    if (code) this.codes.set(`${org}/${user}`, code)
    else this.codes.delete(`${org}/${user}`)
  }
}

/** [V1] What verifying a colleague shows and checks. */
export interface Verification {
  readonly safetyNumber: string
  /** This device's person's code, to show as a QR code (and as text). */
  readonly myCode: Uint8Array
  readonly myCodeText: string
  /** Compares a code scanned (or pasted) from the colleague's screen. */
  readonly check: (scanned: string) => VerificationVerdict
}

/** [V1] The safety number and codes of two directory entries (device keys as the directory states them). */
export function verificationBetween(me: { user: string; devices: readonly string[] }, them: { user: string; devices: readonly string[] }): Verification {
  const devs = (e: { devices: readonly string[] }) => e.devices.map((d) => fromHex(d)!)
  const myCode = verificationCode(me.user, devs(me))
  return {
    safetyNumber: safetyNumber({ user: me.user, devices: devs(me) }, { user: them.user, devices: devs(them) }),
    myCode,
    myCodeText: toBase64Url(myCode),
    check: (scanned) => compareVerificationText(scanned, them.user, devs(them)),
  }
}
