import { createSignal, Show, type JSX } from 'solid-js'
import { messageOf } from '../binding.js'
import { NameForm } from './NameForm.js'
import { ErrorLine } from './ErrorLine.js'

/** First run: a display name; the device keys are made locally by the engine. */
export function Onboarding(props: { onCreate: (name: string) => Promise<void>; onRecover?: (key: string) => Promise<void>; children?: JSX.Element }) {
  return (
    <section class="card onboarding" aria-labelledby="onboarding-title">
      <h1 id="onboarding-title">Welcome to FieldChat</h1>
      {props.children}
      <p>
        Choose the name others will see. Your keys are created on this device and never leave it; messages are encrypted before
        they are sent.
      </p>
      <NameForm
        id="display-name"
        name="display-name"
        autocomplete="off"
        label="Display name"
        submit="Continue"
        onSubmit={(name) => props.onCreate(name)}
      />
      <Show when={props.onRecover}>{(recover) => <RecoverForm onRecover={recover()} />}</Show>
    </section>
  )
}

/** [M32] A person who lost their devices: the recovery key instead of a new profile. */
function RecoverForm(props: { onRecover: (key: string) => Promise<void> }) {
  const [key, setKey] = createSignal('')
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal('')
  const submit = (e: SubmitEvent) => {
    e.preventDefault()
    const value = key()
    setBusy(true)
    setError('')
    props.onRecover(value).then(
      () => setKey(''),
      (err: unknown) => (setError(messageOf(err)), setBusy(false)),
    )
  }
  return (
    <details class="recover">
      <summary>I have a recovery key</summary>
      <form onSubmit={submit}>
        <label for="recovery-key-input">Recovery key</label>
        <input id="recovery-key-input" autocomplete="off" spellcheck={false} value={key()} onInput={(e) => setKey(e.currentTarget.value)} disabled={busy()} />
        <button type="submit" disabled={busy() || !key().trim()}>
          {busy() ? 'Recovering…' : 'Recover my profile'}
        </button>
        <ErrorLine message={error()} />
      </form>
    </details>
  )
}
