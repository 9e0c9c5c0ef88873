import { createEffect, createMemo, createSignal, createUniqueId, For, on, Show, type Accessor } from 'solid-js'
import { applyMention, mentionQuery, mentionsIn, offered, type MentionCandidate } from '../mentions.js'

/**
 * [W19] Typing "@" in the composer offers the conversation's members whose name starts with what
 * follows: ArrowDown/ArrowUp move, Enter or Tab chooses (the name is written as "@Name "),
 * Escape closes the list; a click chooses too. The chosen people whose "@Name" is still in the
 * text when it is sent are its mentions ([M43]).
 */
export function createMentionPicker(opts: {
  text: Accessor<string>
  caret: Accessor<number>
  people: Accessor<readonly MentionCandidate[]>
  /** Writes the new text and puts the caret after the name. */
  apply: (text: string, caret: number) => void
}) {
  const listId = createUniqueId()
  const [dismissed, setDismissed] = createSignal<number>()
  const [active, setActive] = createSignal(0)
  const [chosen, setChosen] = createSignal<readonly MentionCandidate[]>([])
  const query = createMemo(() => mentionQuery(opts.text(), opts.caret()))
  const options = createMemo(() => {
    const q = query()
    return q && q.start !== dismissed() ? offered(opts.people(), q.query) : []
  })
  createEffect(on(options, () => setActive(0)))

  const pick = (c: MentionCandidate) => {
    const q = query()
    if (!q) return
    const next = applyMention(opts.text(), q, opts.caret(), c.name)
    setChosen((list) => [...list, c])
    opts.apply(next.text, next.caret)
  }
  /** Handles the key when the list is open; true when it did. */
  const onKeyDown = (e: KeyboardEvent): boolean => {
    const list = options()
    if (!list.length || e.isComposing) return false
    if (e.key === 'ArrowDown') setActive((i) => (i + 1) % list.length)
    else if (e.key === 'ArrowUp') setActive((i) => (i - 1 + list.length) % list.length)
    else if ((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab') pick(list[active()] ?? list[0]!)
    else if (e.key === 'Escape') setDismissed(query()?.start)
    else return false
    e.preventDefault()
    e.stopPropagation()
    return true
  }
  const optionId = (i: number) => `${listId}-${i}`
  return {
    listId,
    options,
    active,
    pick,
    onKeyDown,
    /** For the text box: what the list is and which option is active. */
    activeId: () => (options().length ? optionId(active()) : undefined),
    optionId,
    /** The mentions of `text` as it is sent. */
    mentions: (text: string) => mentionsIn(text, chosen()),
    reset: () => setChosen([]),
  }
}

export type MentionPicker = ReturnType<typeof createMentionPicker>

export function MentionList(props: { picker: MentionPicker }) {
  return (
    <Show when={props.picker.options().length}>
      <ul id={props.picker.listId} class="mention-list" role="listbox" aria-label="Mention someone">
        <For each={props.picker.options()}>
          {(c, i) => (
            <li
              id={props.picker.optionId(i())}
              role="option"
              aria-selected={i() === props.picker.active()}
              classList={{ active: i() === props.picker.active() }}
              // mousedown, not click: the text box keeps the focus (and its caret).
              onMouseDown={(e) => {
                e.preventDefault()
                props.picker.pick(c)
              }}
            >
              {c.name}
            </li>
          )}
        </For>
      </ul>
    </Show>
  )
}
