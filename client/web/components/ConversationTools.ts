import { createContext, useContext } from 'solid-js'
import type { Messenger } from '../../core/messenger.js'
import type { ConvId } from '../../../protocol/index.js'
import type { CallsBinding } from '../calls/callsBinding.js'

/**
 * [W25][W27][W32] What the app gives an open conversation beyond its binding: the engine (for its
 * disappearing-messages timer), "Search in this conversation" and calls. Provided by the app; a
 * conversation shown without it has neither entry.
 */
export interface ConversationTools {
  readonly messenger: Messenger
  searchIn(conv: ConvId): void
  /** [W32] Voice and video calls. */
  readonly calls?: CallsBinding
}

export const ConversationToolsContext = createContext<ConversationTools>()
export const useConversationTools = (): ConversationTools | undefined => useContext(ConversationToolsContext)
