import { createSignal } from 'solid-js'

/**
 * Writes a message. Enter sends, Shift+Enter adds a line (and Enter while an IME is composing
 * does neither). The draft is cleared at once: the engine stores the message locally first, so
 * sending never waits for the network; a refused message comes back into the box.
 */
export function Composer(props: { onSend: (text: string) => Promise<void>; onError: (err: unknown) => void }) {
  const [text, setText] = createSignal('')
  let box!: HTMLTextAreaElement

  const send = () => {
    const draft = text()
    if (!draft.trim()) return
    setText('')
    props.onSend(draft).catch((err: unknown) => {
      if (!text()) setText(draft)
      props.onError(err)
    })
    box.focus()
  }

  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault()
        send()
      }}
    >
      <label for="composer-text" class="visually-hidden">
        Message
      </label>
      <textarea
        id="composer-text"
        ref={box}
        rows={1}
        autocomplete="off"
        placeholder="Write a message"
        value={text()}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault()
            send()
          }
        }}
      />
      <button type="submit" class="primary" disabled={!text().trim()}>
        Send
      </button>
    </form>
  )
}
