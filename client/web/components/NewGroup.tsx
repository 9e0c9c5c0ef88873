import { createSignal, Show } from 'solid-js'
import { messageOf } from '../binding.js'

/**
 * "New group": a name, and whether people added later can read what was written before they
 * came (the key chain is passed on, [T9]; on by default).
 */
export function NewGroup(props: { onCreate: (name: string, history: boolean) => Promise<void> }) {
  const [open, setOpen] = createSignal(false)
  const [name, setName] = createSignal('')
  const [history, setHistory] = createSignal(true)
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<string>()

  const submit = async (e: SubmitEvent) => {
    e.preventDefault()
    if (busy()) return
    setBusy(true)
    setError(undefined)
    try {
      await props.onCreate(name(), history())
      setName('')
      setHistory(true)
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
        <button type="button" onClick={() => setOpen(true)}>
          New group
        </button>
      }
    >
      <form class="new-conversation" onSubmit={submit}>
        <label for="group-name">Group name</label>
        <input
          id="group-name"
          maxLength={64}
          required
          ref={(el) => queueMicrotask(() => el.focus())}
          value={name()}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <label class="check">
          <input type="checkbox" checked={history()} onChange={(e) => setHistory(e.currentTarget.checked)} />
          New members can read earlier messages
        </label>
        <Show when={error()}>
          <p class="form-error" role="alert">
            {error()}
          </p>
        </Show>
        <div class="row">
          <button type="submit" class="primary" disabled={busy()}>
            Create group
          </button>
          <button type="button" onClick={() => setOpen(false)}>
            Cancel
          </button>
        </div>
      </form>
    </Show>
  )
}
