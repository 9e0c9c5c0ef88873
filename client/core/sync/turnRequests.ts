import type { TurnCredentials } from '../../../protocol/index.js'
import { ClientError, ClientErrorCode } from '../errors.js'

/** What a call needs to use the deployment's TURN servers (protocol [S55]). */
export interface IceServer {
  readonly urls: readonly string[]
  readonly username: string
  readonly credential: string
  /** When the credential stops working (ms since the epoch, this device's clock). */
  readonly expiresAt: number
}

interface Pending {
  resolve(server: IceServer): void
  reject(err: ClientError): void
  timer: ReturnType<typeof setTimeout>
}

/**
 * [M70] Requests for TURN credentials on the current connection: the server answers them in
 * order, each with `turn-credentials` or 1410, so answers go to the oldest request. A request
 * fails with M571 when the connection is gone or no answer comes in time, with M570 when the
 * server has no TURN. Nothing is stored: a credential lives for its TTL only.
 */
export class TurnRequests {
  private readonly pending: Pending[] = []

  constructor(private readonly now: () => number = Date.now) {}

  /** `send` sends a `turn` frame now, or says there is no connection to send it on. */
  ask(send: () => boolean, timeoutMs: number): Promise<IceServer> {
    return new Promise<IceServer>((resolve, reject) => {
      const entry: Pending = {
        resolve: (s) => resolve(s),
        reject,
        timer: setTimeout(() => this.drop(entry, new ClientError(ClientErrorCode.TURN_UNAVAILABLE, 'no answer in time')), timeoutMs),
      }
      this.pending.push(entry)
      if (!send()) this.drop(entry, new ClientError(ClientErrorCode.TURN_UNAVAILABLE, 'offline'))
    })
  }

  answer(msg: TurnCredentials): void {
    const entry = this.pending.shift()
    if (!entry) return // unasked: dropped
    clearTimeout(entry.timer)
    entry.resolve({ urls: [...msg.urls], username: msg.username, credential: msg.credential, expiresAt: this.now() + msg.ttl * 1000 })
  }

  /** The server has no TURN (1410): the oldest request learns it. */
  refused(): void {
    const entry = this.pending[0]
    if (entry) this.drop(entry, new ClientError(ClientErrorCode.TURN_OFF))
  }

  /** The connection closed: no answer will come on it. */
  closed(): void {
    for (const entry of [...this.pending]) this.drop(entry, new ClientError(ClientErrorCode.TURN_UNAVAILABLE, 'the connection closed'))
  }

  private drop(entry: Pending, err: ClientError): void {
    const i = this.pending.indexOf(entry)
    if (i < 0) return
    this.pending.splice(i, 1)
    clearTimeout(entry.timer)
    entry.reject(err)
  }
}
