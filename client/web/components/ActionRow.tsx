import { createSignal, Show, type JSX } from 'solid-js'
import { messageOf } from '../binding.js'

/**
 * One thing the person asked for, run once at a time: `busy` while it runs (its button is
 * disabled), and on failure the error's text (a ClientError's own message) for the error line.
 * `keepBusy`: success replaces the whole screen, so the button stays disabled until it does
 * rather than inviting a second press.
 */
export function createAction(opts: { keepBusy?: boolean } = {}) {
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<string>()

  const run = async (act: () => Promise<void>) => {
    if (busy()) return
    setBusy(true)
    setError(undefined)
    try {
      await act()
    } catch (err) {
      setError(messageOf(err))
      setBusy(false)
      return
    }
    if (!opts.keepBusy) setBusy(false)
  }

  return { busy, error, run }
}

/**
 * The foot of a small form: what went wrong (read out at once), then the main button, with the
 * way out beside it in a row when there is one. Without `onClick` the main button submits its form.
 */
export function ActionRow(props: {
  label: JSX.Element
  busy: boolean
  error?: string | undefined
  disabled?: boolean
  onClick?: () => void
  cancel?: string
  onCancel?: (() => void) | undefined
}) {
  const main = () => (
    <button
      type={props.onClick ? 'button' : 'submit'}
      class="primary"
      disabled={props.busy || props.disabled === true}
      onClick={() => props.onClick?.()}
    >
      {props.label}
    </button>
  )

  return (
    <>
      <Show when={props.error}>
        <p class="form-error" role="alert">
          {props.error}
        </p>
      </Show>
      <Show when={props.onCancel} fallback={main()}>
        <div class="row">
          {main()}
          <button type="button" onClick={() => props.onCancel?.()}>
            {props.cancel ?? 'Cancel'}
          </button>
        </div>
      </Show>
    </>
  )
}
