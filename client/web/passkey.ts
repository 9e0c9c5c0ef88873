import { passkeyPrfInput, randomBytes } from '../../crypto/index.js'

/**
 * [M29] A passkey as an app lock: WebAuthn with the PRF extension (the authenticator's
 * hmac-secret), so the secret that opens the store comes out of the authenticator only after
 * the person's fingerprint, face or PIN, and never exists on disk. The salt is the store's
 * (crypto [R6]); the credential is made for this device only (not synced, not discoverable).
 */
export class PasskeyUnavailable extends Error {
  override name = 'PasskeyUnavailable'
}

const buf = (b: Uint8Array) => b as Uint8Array<ArrayBuffer>

interface PrfResults {
  prf?: { enabled?: boolean; results?: { first?: ArrayBuffer | ArrayBufferView } }
}

function prfOf(cred: Credential | null): Uint8Array | undefined {
  const first = ((cred as PublicKeyCredential | null)?.getClientExtensionResults() as PrfResults | undefined)?.prf?.results?.first
  if (!first) return undefined
  return first instanceof ArrayBuffer ? new Uint8Array(first) : new Uint8Array(first.buffer, first.byteOffset, first.byteLength)
}

export const passkeysPossible = (): boolean => typeof PublicKeyCredential !== 'undefined' && !!navigator.credentials

/** The PRF output of `credential` for the store's `salt`, after the person's gesture. */
export async function passkeyPrf(credential: Uint8Array, salt: Uint8Array): Promise<Uint8Array> {
  if (!passkeysPossible()) throw new PasskeyUnavailable('This browser has no passkeys.')
  const cred = await navigator.credentials.get({
    publicKey: {
      challenge: buf(randomBytes(32)),
      allowCredentials: [{ type: 'public-key', id: buf(credential) }],
      userVerification: 'required',
      timeout: 60_000,
      extensions: { prf: { eval: { first: buf(passkeyPrfInput(salt)) } } } as AuthenticationExtensionsClientInputs,
    },
  })
  const prf = prfOf(cred)
  if (!prf || prf.length < 32) throw new PasskeyUnavailable('This passkey cannot unlock the app (its authenticator has no PRF).')
  return prf
}

/** A new passkey for this store, and its PRF output for a fresh salt (asked again when the creation does not return it). */
export async function createPasskey(): Promise<{ credential: Uint8Array; salt: Uint8Array; prf: Uint8Array }> {
  if (!passkeysPossible()) throw new PasskeyUnavailable('This browser has no passkeys.')
  const salt = randomBytes(32)
  const cred = (await navigator.credentials.create({
    publicKey: {
      rp: { name: 'FieldChat', id: location.hostname },
      user: { id: buf(randomBytes(16)), name: 'FieldChat app lock', displayName: 'FieldChat app lock on this device' },
      challenge: buf(randomBytes(32)),
      pubKeyCredParams: [
        { type: 'public-key', alg: -7 },
        { type: 'public-key', alg: -257 },
      ],
      authenticatorSelection: { userVerification: 'required', residentKey: 'discouraged' },
      timeout: 60_000,
      extensions: { prf: { eval: { first: buf(passkeyPrfInput(salt)) } } } as AuthenticationExtensionsClientInputs,
    },
  })) as PublicKeyCredential | null
  if (!cred) throw new PasskeyUnavailable('No passkey was made.')
  const credential = new Uint8Array(cred.rawId)
  const prf = prfOf(cred) ?? (await passkeyPrf(credential, salt))
  return { credential, salt, prf }
}
