import { createSignal, Show } from 'solid-js'
import { messageOf } from '../binding.js'

/** "Create organisation": asks for its name; this person becomes its first admin. */
export function CreateOrganisation(props: { onCreate: (name: string) => Promise<void> }) {
  const [open, setOpen] = createSignal(false)
  const [name, setName] = createSignal('')
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<string>()

  const submit = async (e: SubmitEvent) => {
    e.preventDefault()
    if (busy()) return
    setBusy(true)
    setError(undefined)
    try {
      await props.onCreate(name())
      setName('')
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
          Create organisation
        </button>
      }
    >
      <form class="new-conversation" onSubmit={submit}>
        <label for="organisation-name">Organisation name</label>
        <input
          id="organisation-name"
          maxLength={64}
          required
          ref={(el) => queueMicrotask(() => el.focus())}
          value={name()}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <p class="muted small">You become its first admin: you invite people, make groups and can remove anyone.</p>
        <Show when={error()}>
          <p class="form-error" role="alert">
            {error()}
          </p>
        </Show>
        <div class="row">
          <button type="submit" class="primary" disabled={busy()}>
            Create organisation
          </button>
          <button type="button" onClick={() => setOpen(false)}>
            Cancel
          </button>
        </div>
      </form>
    </Show>
  )
}
