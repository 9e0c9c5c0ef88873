/**
 * [W20] What the ticks on one of the person's own messages say, from the engine's receipts
 * ([M56]: people, not devices; a reader counts as delivered) and the conversation's other people.
 * Pure: the binding feeds it, `ReceiptTicks` and `MessageInfo` draw it.
 */
export type ReceiptLevel = 'pending' | 'sent' | 'delivered' | 'read'

export interface ReceiptState {
  readonly level: ReceiptLevel
  /** The ticks' accessible name: "Pending", "Sent", "Delivered to Bea", "Read by Bea", "Delivered to 2 of 3, read by 1". */
  readonly label: string
  /** For "Message info": who has read, who has it but has not read (or whose read is not shown), who does not have it yet. */
  readonly read: readonly string[]
  readonly delivered: readonly string[]
  readonly waiting: readonly string[]
}

export interface ReceiptInput {
  /** Still in this device's outbox: the server does not have it yet. */
  readonly pending: boolean
  readonly receipts: { readonly delivered: readonly string[]; readonly read: readonly string[] }
  /** The names of the conversation's other people (the person's own devices left out). */
  readonly others: readonly string[]
  /** [M58] Read receipts are shown in this conversation. */
  readonly readShown: boolean
}

export function receiptState(input: ReceiptInput): ReceiptState {
  const read = input.readShown ? input.receipts.read : []
  const readSet = new Set(read)
  const deliveredSet = new Set(input.receipts.delivered)
  const delivered = input.receipts.delivered.filter((n) => !readSet.has(n))
  const waiting = input.others.filter((n) => !deliveredSet.has(n) && !readSet.has(n))
  const lists = { read, delivered, waiting }
  if (input.pending) return { level: 'pending', label: 'Pending', ...lists }
  // Someone who joined after the message may have it too: never say "3 of 2".
  const n = Math.max(input.others.length, deliveredSet.size)
  const d = deliveredSet.size
  const r = read.length
  if (n === 0 || d === 0) return { level: 'sent', label: 'Sent', ...lists }
  const level: ReceiptLevel = r >= n ? 'read' : d >= n ? 'delivered' : 'sent'
  if (n === 1) return { level, label: r ? `Read by ${read[0]}` : `Delivered to ${input.receipts.delivered[0]}`, ...lists }
  if (r >= n) return { level, label: `Read by all ${n}`, ...lists }
  const to = d >= n ? `Delivered to all ${n}` : `Delivered to ${d} of ${n}`
  return { level, label: r ? `${to}, read by ${r}` : to, ...lists }
}
