import type { FoldedFields } from './fold.js'
import type { MessageView } from './model.js'

/** A message as the person sees it: the view, its author's name, whether it is this device's and still pending, and what the fold adds. */
export interface DisplayMessage extends MessageView, FoldedFields {
  readonly authorName: string
  readonly mine: boolean
  readonly pending: boolean
  /** [M26] Written under an epoch its author was not a member device of; listed only when asked (`withHidden`). */
  readonly hidden?: true
}
