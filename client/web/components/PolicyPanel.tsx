import { createSignal, For, Show } from 'solid-js'
import type { OrgBinding } from '../teamBinding.js'
import { messageOf } from '../binding.js'

const AUTO_LOCK = [0, 1, 5, 15, 60, 240]

/**
 * [T21] The organisation's device policy: every member sees it; admins change it (a signed op,
 * enforced by each member's own device).
 */
export function PolicyPanel(props: { org: OrgBinding }) {
  const [error, setError] = createSignal('')
  const [busy, setBusy] = createSignal(false)
  const p = () => props.org.policy()
  const change = (c: Parameters<OrgBinding['setPolicy']>[0]) => {
    setBusy(true)
    setError('')
    props.org.setPolicy(c).then(
      () => setBusy(false),
      (err: unknown) => (setError(messageOf(err)), setBusy(false)),
    )
  }
  return (
    <section class="card policy" aria-labelledby="policy-title">
      <h3 id="policy-title">Device policy</h3>
      <Show
        when={props.org.isAdmin()}
        fallback={
          <ul class="small">
            <li>App lock: {p().requireLock ? 'required' : 'your choice'}</li>
            <li>Auto-lock: {p().autoLockMinutes ? `after at most ${p().autoLockMinutes} min idle` : 'your choice'}</li>
            <li>Export: {p().forbidExport ? 'not allowed' : 'allowed'}</li>
          </ul>
        }
      >
        <label>
          <input type="checkbox" checked={p().requireLock} disabled={busy()} onChange={(e) => change({ requireLock: e.currentTarget.checked })} /> Require an app lock
        </label>
        <label for="policy-auto-lock">Lock devices after at most</label>
        <select id="policy-auto-lock" value={String(p().autoLockMinutes)} disabled={busy()} onChange={(e) => change({ autoLockMinutes: Number(e.currentTarget.value) })}>
          <For each={AUTO_LOCK}>{(m) => <option value={String(m)}>{m ? `${m} min idle` : 'each person chooses'}</option>}</For>
        </select>
        <label>
          <input type="checkbox" checked={p().forbidExport} disabled={busy()} onChange={(e) => change({ forbidExport: e.currentTarget.checked })} /> Forbid exporting conversations
        </label>
      </Show>
      <Show when={error()}>
        <p class="alert" role="alert">
          {error()}
        </p>
      </Show>
    </section>
  )
}
