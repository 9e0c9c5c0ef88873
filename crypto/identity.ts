import nacl from 'tweetnacl'
import { asBoxPublicKey, asBoxSecretKey, asSignPublicKey, asSignSecretKey, parseSignPublicKey } from './keys.js'
import type { BoxPublicKey, BoxSecretKey, SignPublicKey, SignSecretKey } from './keys.js'
import { bytesEqual } from './bytes.js'
import { restoreSignKeyPair, webCryptoBoxPublicKey } from './sign.js'

/** A device: the unit of trust and revocation. Keys are created on the device and never leave it. */
export interface DeviceKeys {
  readonly signPublic: SignPublicKey
  readonly signSecret: SignSecretKey
  readonly boxPublic: BoxPublicKey
  readonly boxSecret: BoxSecretKey
}

export function generateDeviceKeys(): DeviceKeys {
  for (;;) {
    const sign = nacl.sign.keyPair()
    // [C1] a random key is small-order with negligible probability; loop anyway so the invariant is total.
    if (!parseSignPublicKey(sign.publicKey)) continue
    const box = nacl.box.keyPair()
    return {
      signPublic: asSignPublicKey(sign.publicKey),
      signSecret: asSignSecretKey(sign.secretKey),
      boxPublic: asBoxPublicKey(box.publicKey),
      boxSecret: asBoxSecretKey(box.secretKey),
    }
  }
}

/** Rebuild device keys from stored secrets, checking that they belong together (storage is untrusted). */
export async function restoreDeviceKeys(signSecret: Uint8Array, boxSecret: Uint8Array): Promise<DeviceKeys | undefined> {
  if (signSecret.length !== 64 || boxSecret.length !== 32) return undefined
  const sign = await restoreSignKeyPair(signSecret)
  if (!sign || !parseSignPublicKey(sign.publicKey)) return undefined
  // Native where WebCrypto has X25519 (tweetnacl's scalar multiplication cost ~10–25 ms per start).
  const boxPublic = (await webCryptoBoxPublicKey(boxSecret)) ?? nacl.box.keyPair.fromSecretKey(boxSecret).publicKey
  return {
    signPublic: asSignPublicKey(sign.publicKey),
    signSecret: asSignSecretKey(sign.secretKey),
    boxPublic: asBoxPublicKey(boxPublic),
    boxSecret: asBoxSecretKey(boxSecret.slice()),
  }
}
