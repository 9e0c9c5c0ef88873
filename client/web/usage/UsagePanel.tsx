import { createSignal, Show } from 'solid-js'
import { createBusyAction } from '../components/busyAction.js'
import type { OrgBinding } from '../teamBinding.js'
import { AdminsCanSee } from './AdminsCanSee.js'

import { UsageView } from './UsageView.js'
import { ErrorLine } from '../components/ErrorLine.js'

/**
 * [W38] Usage statistics on an organisation's page (client/core [Q3], [Q7]): every member sees
 * whether they are on and "What your admins can see"; an admin turns them on (this device then
 * collects) or off; **Show usage** opens the report (on another admin's device, the one the
 * collector shared last, client/core [Q10]).
 */
export function UsagePanel(props: { org: OrgBinding }) {
  const { busy, error, run } = createBusyAction()
  const [open, setOpen] = createSignal(false)
  const s = () => props.org.stats()
  const switchTo = (on: boolean) => run(() => props.org.setStats(on))
  return (
    <section class="card usage" aria-labelledby="usage-title">
      <h3 id="usage-title">Usage statistics</h3>
      <p class="small" role="status">
        {s().on ? (s().collectingHere ? 'On: this device collects them.' : `On: collected on ${s().collectorName ?? 'an admin'}'s device.`) : 'Off.'}
      </p>
      <Show when={props.org.isAdmin()}>
        <Show
          when={s().on}
          fallback={
            <button type="button" class="small-button" disabled={busy()} onClick={() => switchTo(true)}>
              Turn on usage statistics
            </button>
          }
        >
          <Show when={s().on}>
            <button type="button" class="small-button" aria-expanded={open()} onClick={() => setOpen(!open())}>
              {open() ? 'Hide usage' : 'Show usage'}
            </button>
          </Show>
          <button type="button" class="small-button danger" disabled={busy()} onClick={() => switchTo(false)}>
            Turn off usage statistics
          </button>
        </Show>
      </Show>
      <ErrorLine message={error()} />
      <Show when={open() && s().on && props.org.isAdmin()}>
        <UsageView org={props.org} />
      </Show>
      <AdminsCanSee on={s().on} collectorName={s().collectorName} />
    </section>
  )
}
