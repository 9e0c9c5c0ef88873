import { createSignal } from 'solid-js'
import type { PresenceBinding } from '../presenceBinding.js'

/**
 * [W21] "Send read receipts" ([M58]: the person's own switch on this device). Off, nobody is told
 * when this person has read, and this person sees nobody's reading either; delivered still shows.
 * One line until opened, like the other settings.
 */
export function ReceiptSettings(props: { presence: PresenceBinding; onError: (err: unknown) => void }) {
  const [busy, setBusy] = createSignal(false)
  const change = (on: boolean) => {
    setBusy(true)
    props.presence
      .setReadReceipts(on)
      .catch(props.onError)
      .finally(() => setBusy(false))
  }
  return (
    <details class="card receipt-settings">
      <summary>Read receipts: {props.presence.readReceipts() ? 'on' : 'off'}</summary>
      <label>
        <input type="checkbox" checked={props.presence.readReceipts()} disabled={busy()} onChange={(e) => change(e.currentTarget.checked)} /> Send read receipts
      </label>
      <p class="muted">
        {props.presence.readReceipts() ? 'When off, others' : 'Others'} are not told when you have read their messages, and you do not see when they have read yours.
        An organisation may turn them off for everyone.
      </p>
    </details>
  )
}
