import { createSignal, Show } from 'solid-js'

/**
 * The invitation link of a conversation ([I1]): it carries the conversation key in its fragment,
 * so whoever holds it can read along. Shown read-only with a copy button.
 */
export function InvitePanel(props: { id: string; link: string }) {
  const [copied, setCopied] = createSignal<'yes' | 'no'>()
  let input!: HTMLInputElement

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.link)
      setCopied('yes')
    } catch {
      // No clipboard permission (or no secure context): select the text so it can be copied by hand.
      input.select()
      setCopied('no')
    }
  }

  return (
    <div class="invite" id={props.id}>
      <label for={`${props.id}-link`}>Invitation link</label>
      <div class="row">
        <input id={`${props.id}-link`} ref={input} readOnly value={props.link} onFocus={(e) => e.currentTarget.select()} />
        <button type="button" onClick={copy}>
          Copy link
        </button>
      </div>
      <p class="muted small" aria-live="polite">
        <Show when={copied()} fallback="Anyone with this link can join and read this conversation. Share it only with the people you mean.">
          {copied() === 'yes' ? 'Link copied.' : 'Could not copy automatically: the link is selected, copy it by hand.'}
        </Show>
      </p>
    </div>
  )
}
