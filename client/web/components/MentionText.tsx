import { createMemo, For, Show } from 'solid-js'
import type { DisplayMessage } from '../../core/messenger.js'
import { mentionParts, type MentionCandidate } from '../mentions.js'
import { MessageText } from './MessageText.js'

/**
 * [W19] A message's text with its mentions highlighted: each "@Name" its mentions stand for is
 * marked, a mention of this person more strongly; the rest is the text with its links ([U10]).
 * `mentionOf`: the member a stored mention (user id or device hex) stands for in this conversation.
 */
export function MentionText(props: { message: DisplayMessage; mentionOf?: ((id: string) => MentionCandidate | undefined) | undefined }) {
  const parts = createMemo(() => {
    const m = props.message
    const of = props.mentionOf
    if (!m.mentions?.length || !of) return undefined
    return mentionParts(m.text, m.mentions.flatMap((id) => of(id) ?? []))
  })
  return (
    <Show when={parts()} fallback={<MessageText text={props.message.text} />}>
      <For each={parts()}>
        {(p) =>
          p.kind === 'text' ? (
            <MessageText text={p.text} />
          ) : (
            <strong class="mention" classList={{ me: p.me }}>
              {p.text}
            </strong>
          )
        }
      </For>
    </Show>
  )
}
