import { Show } from 'solid-js'
import { previewLine, type ConversationRow } from '../conversationRows.js'
import { listTime } from '../timeline/dayLabel.js'
import { UnreadBadge } from './UnreadBadge.js'

/**
 * [W9] One conversation in the list: its title (the link, and the link's whole accessible name),
 * the time of its last message and a one-line preview of it, and its unread count ([W24]). The whole row opens it.
 */
export function ConversationItem(props: { row: ConversationRow; href: string; current: boolean }) {
  const members = () => (props.row.members === 1 ? '1 member' : `${props.row.members} members`)
  return (
    <li class="conversation-row" classList={{ current: props.current, unread: (props.row.unread ?? 0) > 0 }}>
      <a class="row-title" href={props.href} aria-current={props.current ? 'page' : undefined}>
        {props.row.title}
      </a>
      <Show when={props.row.preview} fallback={<span class="row-preview muted small">{members()}</span>}>
        {(p) => (
          <>
            <time class="row-time muted small" datetime={new Date(p().ts).toISOString()}>
              {listTime(p().ts, Date.now())}
            </time>
            <span class="row-preview muted small" data-testid="conversation-preview">
              {previewLine(p())}
            </span>
          </>
        )}
      </Show>
      <UnreadBadge count={props.row.unread ?? 0} />
    </li>
  )
}
