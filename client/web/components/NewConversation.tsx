import { createSignal, Show } from 'solid-js'
import { messageOf } from '../binding.js'

/** "New conversation": asks for a title, then hands it to `onCreate`. */
export function NewConversation(props: { onCreate: (title: string) => Promise<void> }) {
  const [open, setOpen] = createSignal(false)
  const [title, setTitle] = createSignal('')
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<string>()

  const submit = async (e: SubmitEvent) => {
    e.preventDefault()
    if (busy()) return
    setBusy(true)
    setError(undefined)
    try {
      await props.onCreate(title())
      setTitle('')
      setOpen(false)
    } catch (err) {
      setError(messageOf(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <Show
      when={open()}
      fallback={
        <button type="button" class="primary" onClick={() => setOpen(true)}>
          New conversation
        </button>
      }
    >
      <form class="new-conversation" onSubmit={submit}>
        <label for="conversation-name">Conversation name</label>
        <input
          id="conversation-name"
          maxLength={64}
          required
          ref={(el) => queueMicrotask(() => el.focus())}
          value={title()}
          onInput={(e) => setTitle(e.currentTarget.value)}
        />
        <Show when={error()}>
          <p class="form-error" role="alert">
            {error()}
          </p>
        </Show>
        <div class="row">
          <button type="submit" class="primary" disabled={busy()}>
            Create
          </button>
          <button type="button" onClick={() => setOpen(false)}>
            Cancel
          </button>
        </div>
      </form>
    </Show>
  )
}
