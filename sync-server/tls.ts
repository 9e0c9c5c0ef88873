import { readFileSync } from 'node:fs'
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { createSecureContext } from 'node:tls'

/**
 * [S41] The certificate and key for serving HTTPS and WSS directly (`--tls-cert` / `TLS_CERT`,
 * `--tls-key` / `TLS_KEY`). Read and checked before anything starts, so a typo never leaves a
 * server half-up on plain HTTP: both or neither (S141), readable (S142), PEM that Node's TLS
 * accepts with a key that belongs to the certificate (S143). main.ts exits with code 2 on any.
 * Messages name the file, never its contents.
 */
export type TlsErrorCode = 'S141_TLS_HALF' | 'S142_TLS_UNREADABLE' | 'S143_TLS_INVALID'

export class TlsFilesError extends Error {
  override name = 'TlsFilesError'
  constructor(
    readonly code: TlsErrorCode,
    detail: string,
  ) {
    super(`${code}: ${detail}`)
  }
}

export interface TlsFiles {
  readonly cert: Buffer
  readonly key: Buffer
}

export function loadTlsFiles(certPath: string | undefined, keyPath: string | undefined): TlsFiles | undefined {
  const cert = certPath || undefined
  const key = keyPath || undefined
  if (!cert && !key) return undefined
  if (!cert || !key) throw new TlsFilesError('S141_TLS_HALF', `${cert ? '--tls-cert' : '--tls-key'} was given without ${cert ? '--tls-key' : '--tls-cert'}: give both, or neither for plain HTTP`)
  const files = { cert: read(cert, 'certificate'), key: read(key, 'key') }
  let x509: X509Certificate
  try {
    x509 = new X509Certificate(files.cert)
  } catch {
    throw new TlsFilesError('S143_TLS_INVALID', `${cert} is not a PEM certificate`)
  }
  let matches: boolean
  try {
    matches = x509.checkPrivateKey(createPrivateKey(files.key))
  } catch {
    throw new TlsFilesError('S143_TLS_INVALID', `${key} is not a PEM private key (an encrypted key needs its passphrase removed)`)
  }
  if (!matches) throw new TlsFilesError('S143_TLS_INVALID', `the key in ${key} does not belong to the certificate in ${cert}`)
  try {
    // What https.createServer will do with them: a chain file whose first entry is fine can still fail here.
    createSecureContext(files)
  } catch (err) {
    throw new TlsFilesError('S143_TLS_INVALID', `Node's TLS refuses ${cert} with ${key} (${(err as { code?: string }).code ?? 'unknown reason'})`)
  }
  return files
}

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err) {
    throw new TlsFilesError('S142_TLS_UNREADABLE', `the ${what} file ${path} cannot be read (${(err as { code?: string }).code ?? 'error'})`)
  }
}
