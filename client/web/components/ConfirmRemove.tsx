import { createSignal, createUniqueId, Show } from 'solid-js'

/**
 * A two-step remove: "Remove" turns into "Confirm remove" and "Cancel" (inline, not
 * `confirm()`, so it stays in the page's focus order; focus moves to the confirm step).
 * Accessible names: `start` (default "Remove <subject>"), "Confirm remove <subject>",
 * "Cancel removing <subject>". `consequence` says what the removal does to keys and messages
 * (shown with the confirm step, and its description for screen readers).
 */
export function ConfirmRemove(props: { subject: string; start?: string; consequence?: string; onConfirm: () => Promise<void>; onError: (err: unknown) => void }) {
  const id = createUniqueId()
  const [confirming, setConfirming] = createSignal(false)
  const [busy, setBusy] = createSignal(false)
  const focusOnMount = (el: HTMLButtonElement) => queueMicrotask(() => el.focus())

  const remove = () => {
    setBusy(true)
    props
      .onConfirm()
      .catch(props.onError)
      .finally(() => {
        setBusy(false)
        setConfirming(false)
      })
  }

  return (
    <Show
      when={confirming()}
      fallback={
        <button type="button" aria-label={props.start ?? `Remove ${props.subject}`} onClick={() => setConfirming(true)}>
          Remove
        </button>
      }
    >
      <Show when={props.consequence}>
        <span id={id} class="small muted consequence">
          {props.consequence}
        </span>
      </Show>
      <button
        type="button"
        class="danger"
        aria-label={`Confirm remove ${props.subject}`}
        aria-describedby={props.consequence ? id : undefined}
        disabled={busy()}
        onClick={remove}
        ref={focusOnMount}
      >
        Confirm remove
      </button>
      <button type="button" aria-label={`Cancel removing ${props.subject}`} disabled={busy()} onClick={() => setConfirming(false)}>
        Cancel
      </button>
    </Show>
  )
}
