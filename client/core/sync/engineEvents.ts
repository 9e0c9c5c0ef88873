import type { ConvId, DocId } from '../../../protocol/index.js'
import type { ClientErrorCode as Code } from '../errors.js'
import type { ProxyOutcome } from './proxyRekey.js'

/** What the sync engine tells the rest of the client (its own file, so push/receive/serverError need not import the engine). */
export type ConnectionState = 'offline' | 'connecting' | 'syncing' | 'online'

export interface EngineEvents extends Record<string, unknown> {
  state: ConnectionState
  /** The server acknowledged these messages (of the conversations `convs`): they are no longer pending. */
  delivered: { msgIds: string[]; convs: ConvId[] }
  /** [T11] Envelopes of this conversation wait for a key this device does not hold yet. */
  waiting: { conv: ConvId; waiting: boolean }
  /** The server refused (lost: true) or granted this device's access to a conversation. */
  access: { conv: ConvId; lost: boolean }
  /** Something was refused; the person can read `code`'s text. Nothing stored was lost. */
  problem: { code: Code; detail?: string }
  /** The server confirmed this device's access to a conversation at `epoch`. */
  joined: { conv: ConvId; epoch: number }
  /** [S10] A rekey from an epoch the conversation has left; `epoch` is where the server is. */
  rekeyConflict: { conv: ConvId; epoch: number }
  /** [T18] The server answered a rekey made for a space this device is not a member of. */
  proxyRekey: { conv: ConvId; outcome: ProxyOutcome; epoch?: number }
  /**
   * [M71] The server dropped a segment (1206, protocol [S56]): this device's pending changes for
   * it left the outbox (`msgIds`: the message ids they carried). Not a problem: its messages expired.
   */
  dropped: { conv: ConvId; doc: DocId; msgIds: string[] }
  /** [M57] A sealed signal another device sent to this conversation (untrusted until opened). */
  signal: { conv: ConvId; body: Uint8Array }
}
