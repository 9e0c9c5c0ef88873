import { createSignal, Show, type JSX } from 'solid-js'
import { messageOf } from '../binding.js'

/** First run: a display name; the device keys are made locally by the engine. */
export function Onboarding(props: { onCreate: (name: string) => Promise<void>; children?: JSX.Element }) {
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
    } catch (err) {
      setError(messageOf(err))
      setBusy(false)
    }
  }

  return (
    <section class="card onboarding" aria-labelledby="onboarding-title">
      <h1 id="onboarding-title">Welcome to FieldChat</h1>
      {props.children}
      <p>
        Choose the name others will see. Your keys are created on this device and never leave it; messages are encrypted before
        they are sent.
      </p>
      <form onSubmit={submit}>
        <label for="display-name">Display name</label>
        <input
          id="display-name"
          name="display-name"
          autocomplete="nickname"
          maxLength={64}
          required
          value={name()}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <Show when={error()}>
          <p class="form-error" role="alert">
            {error()}
          </p>
        </Show>
        <button type="submit" class="primary" disabled={busy()}>
          Continue
        </button>
      </form>
    </section>
  )
}
