import { createContext, useContext } from 'solid-js'
import type { Messenger } from '../../core/messenger.js'
import type { ConvId } from '../../../protocol/index.js'

/**
 * [W25][W27] What the app gives an open conversation beyond its binding: the engine (for its
 * disappearing-messages timer) and "Search in this conversation". Provided by the app; a
 * conversation shown without it has neither entry.
 */
export interface ConversationTools {
  readonly messenger: Messenger
  searchIn(conv: ConvId): void
}

export const ConversationToolsContext = createContext<ConversationTools>()
export const useConversationTools = (): ConversationTools | undefined => useContext(ConversationToolsContext)
