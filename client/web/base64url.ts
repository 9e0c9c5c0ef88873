/**
 * Unpadded base64url (RFC 4648 §5), written exactly as crypto's `toBase64Url` writes it (a test
 * holds them equal): client/web imports core and protocol, not crypto/ (ARCHITECTURE §2).
 */
export function base64url(bytes: Uint8Array): string {
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}
