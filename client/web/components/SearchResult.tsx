import { For } from 'solid-js'
import type { SearchHit } from '../../core/messenger.js'
import { formatTime } from '../format.js'
import { hrefOf } from '../route.js'
import { snippetPieces } from '../searchText.js'

/**
 * [W25] One search hit: the author, the date, and the line of context around the match with the
 * matched words marked. A link to the conversation; opening it jumps to the message ([W26]).
 */
export function SearchResult(props: { hit: SearchHit; onOpen: (hit: SearchHit) => void }) {
  return (
    <li class="search-result">
      <a
        href={hrefOf({ kind: 'conversation', conv: props.hit.conv })}
        data-search-result=""
        onClick={(e) => {
          if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
          e.preventDefault()
          props.onOpen(props.hit)
        }}
      >
        <span class="search-result-meta">
          <span class="message-author">{props.hit.authorName}</span>{' '}
          <time class="muted small" datetime={new Date(props.hit.ts).toISOString()}>
            {formatTime(props.hit.ts)}
          </time>
        </span>
        <span class="search-snippet" data-testid="search-snippet">
          <For each={snippetPieces(props.hit.snippet)}>{(p) => (p.match ? <mark>{p.text}</mark> : p.text)}</For>
        </span>
      </a>
    </li>
  )
}
