import { createSignal, Show } from 'solid-js'
import type { Invitation } from '../../core/invite.js'
import { messageOf } from '../binding.js'

/** An invitation link was opened: say what it is and join only when the person asks. */
export function JoinPrompt(props: { invitation: Invitation; onJoin: () => Promise<void>; onCancel: () => void }) {
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<string>()

  const join = async () => {
    setBusy(true)
    setError(undefined)
    try {
      await props.onJoin()
    } catch (err) {
      setError(messageOf(err))
      setBusy(false)
    }
  }

  return (
    <section class="card" aria-labelledby="join-title">
      <h2 id="join-title">Invitation</h2>
      <p>
        You were invited to <strong>{props.invitation.title}</strong>. Joining adds you to its members; its history arrives as soon
        as you are online.
      </p>
      <Show when={error()}>
        <p class="form-error" role="alert">
          {error()}
        </p>
      </Show>
      <div class="row">
        <button type="button" class="primary" disabled={busy()} onClick={join}>
          Join {props.invitation.title}
        </button>
        <button type="button" onClick={() => props.onCancel()}>
          Not now
        </button>
      </div>
    </section>
  )
}
