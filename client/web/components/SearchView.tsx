import { For, onMount, Show } from 'solid-js'
import type { SearchHit } from '../../core/messenger.js'
import type { SearchBinding } from '../searchBinding.js'
import { SearchResult } from './SearchResult.js'

/** Moves the focus among the results (and back to the box above the first) with the arrow keys. */
function moveFocus(from: Element, step: 1 | -1, box: HTMLInputElement, root: HTMLElement): void {
  const results = [...root.querySelectorAll<HTMLAnchorElement>('a[data-search-result]')]
  const at = results.indexOf(from as HTMLAnchorElement)
  const next = at + step
  if (next < 0) box.focus()
  else results[Math.min(next, results.length - 1)]?.focus()
}

/**
 * [W25] Search: a search box, the indexing line while the background walk runs, and the hits
 * grouped by conversation. Everything is this device's own index ([M50]): it works offline.
 * Enter in the box opens the first hit; the arrow keys move through the hits; Escape closes.
 */
export function SearchView(props: {
  search: SearchBinding
  /** The title of the conversation a scoped search is limited to. */
  titleOf: (conv: SearchHit['conv']) => string
  onOpen: (hit: SearchHit) => void
  onClose: () => void
}) {
  let box!: HTMLInputElement
  let root!: HTMLElement
  const s = props.search
  onMount(() => box.focus())
  const total = () => s.groups()?.reduce((n, g) => n + g.hits.length, 0) ?? 0
  const first = () => s.groups()?.[0]?.hits[0]
  const indexing = () => {
    const st = s.status()
    const of = st.segments + st.queued
    return st.indexing ? `Indexing message history on this device… ${st.segments} of ${of} ${of === 1 ? 'part' : 'parts'} indexed; results may grow.` : ''
  }
  const summary = () => {
    if (s.error()) return s.error()!
    if (!s.answered().trim()) return ''
    const n = total()
    return n ? `${n} ${n === 1 ? 'message' : 'messages'} found` : `No messages match “${s.answered()}”.`
  }

  return (
    <section
      class="search-view"
      aria-labelledby="search-title"
      ref={root}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !e.defaultPrevented) {
          e.preventDefault()
          props.onClose()
          return
        }
        const target = e.target as Element
        if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && (target === box || target.matches('a[data-search-result]'))) {
          e.preventDefault()
          if (target === box) moveFocus(box, 1, box, root)
          else moveFocus(target, e.key === 'ArrowDown' ? 1 : -1, box, root)
        }
      }}
    >
      <div class="search-head">
        <h2 id="search-title">Search</h2>
        <button type="button" class="small-button" onClick={() => props.onClose()}>
          Close search
        </button>
      </div>
      <input
        ref={box}
        type="search"
        class="search-box"
        aria-label={s.scope() ? `Search in ${props.titleOf(s.scope()!)}` : 'Search messages'}
        placeholder={s.scope() ? `Search in ${props.titleOf(s.scope()!)}` : 'Search messages'}
        autocomplete="off"
        spellcheck={false}
        value={s.query()}
        onInput={(e) => s.setQuery(e.currentTarget.value)}
        onKeyDown={(e) => {
          const hit = first()
          if (e.key === 'Enter' && hit) {
            e.preventDefault()
            props.onOpen(hit)
          }
        }}
      />
      <Show when={s.scope()}>
        {(conv) => (
          <p class="search-scope small">
            Only in {props.titleOf(conv())}.{' '}
            <button type="button" class="link-button" onClick={() => s.setScope(undefined)}>
              Search all conversations
            </button>
          </p>
        )}
      </Show>
      {/* Live regions exist from the start, so their first change is announced. */}
      <p class="muted small search-indexing" role="status" aria-label="Search index">
        {indexing()}
      </p>
      <p class="small search-summary" role="status" aria-label="Search results summary">
        {summary()}
      </p>
      <Show when={!s.query().trim()}>
        <p class="muted">Type words to find messages in {s.scope() ? 'this conversation' : 'your conversations'}. The search uses what is stored on this device, so it works offline.</p>
      </Show>
      <For each={s.groups() ?? []}>
        {(g) => (
          <section class="search-group" aria-labelledby={`search-group-${g.conv}`}>
            <h3 id={`search-group-${g.conv}`}>{g.title}</h3>
            <ul aria-label={`Results in ${g.title}`}>
              <For each={g.hits}>{(hit) => <SearchResult hit={hit} onOpen={props.onOpen} />}</For>
            </ul>
          </section>
        )}
      </For>
    </section>
  )
}
