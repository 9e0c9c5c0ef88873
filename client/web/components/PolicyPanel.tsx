import { For, Show } from 'solid-js'
import type { OrgBinding } from '../teamBinding.js'
import { createBusyAction } from './busyAction.js'
import { durationText, TIMER_SECONDS } from '../../core/documents/timer.js'
import type { NotificationLevel } from '../../core/team/org.js'
import { ErrorLine } from './ErrorLine.js'

const AUTO_LOCK = [0, 1, 5, 15, 60, 240]
/** [M67] 0: no limit; else one of the conversation timers ([M65]). */
const MAX_DISAPPEAR = [0, ...TIMER_SECONDS]
const NOTIFICATIONS: readonly [NotificationLevel, string][] = [
  ['content', 'sender and text'],
  ['sender', 'sender only, no text'],
  ['none', 'nothing but "New message"'],
]
const notificationText = (level: NotificationLevel | undefined) => NOTIFICATIONS.find(([l]) => l === (level ?? 'content'))![1]

/**
 * [T21] The organisation's device policy: every member sees it; admins change it (a signed op,
 * enforced by each member's own device): app lock, export, and what messages may do — read
 * receipts (client [M58]), the longest a message may live ([M67]) and the most a notification
 * may show ([M61]).
 */
export function PolicyPanel(props: { org: OrgBinding }) {
  const { busy, error, run } = createBusyAction()
  const p = () => props.org.policy()
  const change = (c: Parameters<OrgBinding['setPolicy']>[0]) => run(() => props.org.setPolicy(c))
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
            <li>Read receipts: {p().readReceipts === false ? 'off for everyone' : 'each person chooses'}</li>
            <li>Disappearing messages: {p().maxDisappearSeconds ? `at most ${durationText(p().maxDisappearSeconds!)}` : 'no limit'}</li>
            <li>Notifications may show: {notificationText(p().notifications)}</li>
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
        <label>
          <input type="checkbox" checked={p().readReceipts !== false} disabled={busy()} onChange={(e) => change({ readReceipts: e.currentTarget.checked })} /> Allow read receipts
        </label>
        <label for="policy-max-disappear">Messages disappear after at most</label>
        <select id="policy-max-disappear" value={String(p().maxDisappearSeconds ?? 0)} disabled={busy()} onChange={(e) => change({ maxDisappearSeconds: Number(e.currentTarget.value) })}>
          <For each={MAX_DISAPPEAR}>{(s) => <option value={String(s)}>{s ? durationText(s) : 'no limit'}</option>}</For>
        </select>
        <label for="policy-notifications">Notifications may show</label>
        <select id="policy-notifications" value={p().notifications ?? 'content'} disabled={busy()} onChange={(e) => change({ notifications: e.currentTarget.value as NotificationLevel })}>
          <For each={NOTIFICATIONS}>{([level, text]) => <option value={level}>{text}</option>}</For>
        </select>
      </Show>
      <ErrorLine message={error()} />
    </section>
  )
}
