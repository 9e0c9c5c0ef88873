import { mailDest, toHex } from '../../crypto/verify.js'

/**
 * [S21] The connections of each mailbox on this instance (connection.ts keys them by address),
 * also found by row destination: mail notices from other instances name destinations
 * (crypto [K8]), never addresses, so no address passes through the database. A Map whose
 * set/delete keep the second index in step; the destination is hashed once per address.
 */
export class MailboxIndex<C> extends Map<string, Set<C>> {
  private readonly byDest = new Map<string, string>()

  override set(address: string, connections: Set<C>): this {
    if (!super.has(address)) this.byDest.set(toHex(mailDest(Buffer.from(address, 'hex'))), address)
    return super.set(address, connections)
  }

  override delete(address: string): boolean {
    if (super.has(address)) this.byDest.delete(toHex(mailDest(Buffer.from(address, 'hex'))))
    return super.delete(address)
  }

  override clear(): void {
    this.byDest.clear()
    super.clear()
  }

  /** The connections of the mailbox whose rows are stored under `dest` (hex), if any is here. */
  byDestination(dest: string): ReadonlySet<C> | undefined {
    const address = this.byDest.get(dest)
    return address === undefined ? undefined : this.get(address)
  }
}
