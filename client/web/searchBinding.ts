import { createSignal, onCleanup, type Accessor } from 'solid-js'
import type { Messenger, SearchHit, SearchStatus } from '../core/messenger.js'
import type { ConvId } from '../../protocol/index.js'
import { messageOf } from './binding.js'
import { groupHits, type SearchGroup } from './searchText.js'

export type { SearchGroup }

/** [W25] Results update this long after the last key press. */
export const SEARCH_DEBOUNCE_MS = 200
/** How often the indexing line is read again while the background walk runs ([M53] has no event for it). */
const STATUS_POLL_MS = 700
/** [M52] At most this many hits per search. */
const LIMIT = 100

export interface SearchBinding {
  /** The search view is shown. */
  readonly open: Accessor<boolean>
  /** Searching one conversation only ("Search in this conversation"); undefined: all. */
  readonly scope: Accessor<ConvId | undefined>
  readonly query: Accessor<string>
  /** The groups for the last query answered; undefined while nothing was asked yet. */
  readonly groups: Accessor<readonly SearchGroup[] | undefined>
  /** The query the groups answer (what "no results" names). */
  readonly answered: Accessor<string>
  readonly status: Accessor<SearchStatus>
  readonly error: Accessor<string | undefined>
  show(scope?: ConvId): void
  close(): void
  setQuery(query: string): void
  setScope(scope: ConvId | undefined): void
}

/**
 * [W25] The search view's state over `Messenger.search` (this device's own index, [M50]: it works
 * offline). Typing asks again after a short pause; an answer to an older query is dropped. While
 * the index walks history in the background, its progress is read again and the query asked
 * again as segments are added, and new or changed messages ask again too.
 */
export function bindSearch(messenger: Messenger): SearchBinding {
  const [open, setOpen] = createSignal(false)
  const [scope, setScopeSignal] = createSignal<ConvId>()
  const [query, setQuerySignal] = createSignal('')
  const [groups, setGroups] = createSignal<readonly SearchGroup[]>()
  const [answered, setAnswered] = createSignal('')
  const [status, setStatus] = createSignal<SearchStatus>({ indexing: false, segments: 0, queued: 0, read: 0 })
  const [error, setError] = createSignal<string>()
  let asked = 0
  let debounce: ReturnType<typeof setTimeout> | undefined
  let poll: ReturnType<typeof setInterval> | undefined

  const run = async () => {
    const q = query()
    const n = ++asked
    if (!q.trim() || !messenger.identity) {
      setGroups(undefined)
      setAnswered('')
      return
    }
    const conv = scope()
    try {
      const hits = await messenger.search(q, { limit: LIMIT, ...(conv ? { conv } : {}) })
      if (n !== asked) return // a newer query was asked meanwhile
      setError(undefined)
      setGroups(groupHits(hits))
      setAnswered(q)
    } catch (err) {
      if (n === asked) setError(messageOf(err))
    }
  }
  const soon = (ms = SEARCH_DEBOUNCE_MS) => {
    clearTimeout(debounce)
    debounce = setTimeout(() => void run(), ms)
  }
  const readStatus = () => {
    if (!messenger.identity) return
    const before = status()
    const now = messenger.searchStatus()
    setStatus(now)
    // More history indexed: the same query may find more.
    if (now.segments !== before.segments && query().trim()) soon(0)
  }
  const startPolling = () => {
    readStatus()
    clearInterval(poll)
    poll = setInterval(readStatus, STATUS_POLL_MS)
  }
  const stopPolling = () => {
    clearInterval(poll)
    poll = undefined
  }
  const onChange = () => {
    if (open() && query().trim()) soon()
  }
  onCleanup(messenger.events.on('added', onChange))
  onCleanup(messenger.events.on('updated', onChange))
  onCleanup(() => (clearTimeout(debounce), stopPolling()))

  return {
    open,
    scope,
    query,
    groups,
    answered,
    status,
    error,
    show(s) {
      setScopeSignal(s)
      setOpen(true)
      startPolling()
      if (query().trim()) soon(0)
    },
    close() {
      setOpen(false)
      stopPolling()
      clearTimeout(debounce)
    },
    setQuery(q) {
      setQuerySignal(q)
      soon()
    },
    setScope(s) {
      setScopeSignal(s)
      soon(0)
    },
  }
}
