import { createResource, createSignal, For, Show } from 'solid-js'
import { addDays, dayOf } from '../../core/stats/days.js'
import type { UsageReport } from '../../core/stats/stats.js'
import type { DeviceId } from '../../../protocol/index.js'
import { messageOf } from '../binding.js'
import { ConfirmRemove } from '../components/ConfirmRemove.js'
import { shortDeviceId } from '../components/DeviceItem.js'
import type { OrgBinding } from '../teamBinding.js'
import { UsageChart } from './UsageChart.js'
import { usageCsv, usageCsvName } from './usageCsv.js'
import { ErrorLine } from '../components/ErrorLine.js'

const PERIODS = [28, 90, 365] as const
/** Days without contact from which a device is listed as silent (a lost or retired phone to clean up). */
const SILENT_DAYS = [7, 14, 30, 90] as const

/**
 * [W38] The collector's report (client/core [Q7]): charts of the released days, the period's
 * totals, devices silent for 7, 14, 30 or 90 days or more, versions and platforms, groups and invitations,
 * and **Export CSV**.
 */
export function UsageView(props: { org: OrgBinding }) {
  const [days, setDays] = createSignal<number>(28)
  const [report, { refetch }] = createResource(days, (n) => props.org.usage({ from: addDays(dayOf(Date.now()), -n + 1) }))
  const [problem, setProblem] = createSignal<string>()
  const [silentDays, setSilentDays] = createSignal<number>(7)
  // [T17] A silent device removed from here (a lost phone): keys rotate without it, and the list is read again.
  const removeSilent = async (device: DeviceId) => {
    setProblem(undefined)
    await props.org.removeDevice(device)
    void refetch()
  }
  const exportCsv = (r: UsageReport) => {
    const url = URL.createObjectURL(new Blob([usageCsv(r)], { type: 'text/csv' }))
    const a = document.createElement('a')
    a.href = url
    a.download = usageCsvName(r)
    a.click()
    setTimeout(() => URL.revokeObjectURL(url), 10_000)
  }
  return (
    <div class="usage-view" aria-label="Usage">
      <label for="usage-period">Period</label>
      <select id="usage-period" value={String(days())} onChange={(e) => setDays(Number(e.currentTarget.value))}>
        <For each={PERIODS}>{(n) => <option value={String(n)}>last {n} days</option>}</For>
      </select>
      <ErrorLine message={report.error ? messageOf(report.error) : undefined} />
      <Show when={report()} keyed>
        {(r) => {
          const shown = r.days.map((d) => d.day)
          // Unbiased: the days' noisy totals before their floor at 0, then floored.
          const sum = (m: keyof UsageReport['days'][number]['values']) => Math.max(0, r.days.reduce((n, d) => n + d.raw[m], 0))
          const silent = () => r.devices.filter((d) => d.daysSilent >= silentDays())
          return (
            <>
              <Show when={r.sharedOn}>
                <p class="small">As shared by the collecting device on {r.sharedOn} (it shares once a day).</p>
              </Show>
              <p class="small">
                Released up to {r.lastClosedDay} (a day is released {r.privacy.closeAfterDays} days after it ends). Numbers carry random noise (ε = {r.privacy.epsilonPerMetricDay} per number and day; a day's messages ± about {Math.round(r.privacy.noiseStdDev.messages)}).
              </p>
              <Show when={shown.length} fallback={<p class="muted small">No day of this period is released yet.</p>}>
                <UsageChart title="People and devices active per day" days={shown} series={[{ label: 'people', values: r.days.map((d) => d.values.active), stroke: '#2563eb' }, { label: 'devices in contact', values: r.days.map((d) => r.devicesInContact.find((c) => c.day === d.day)?.devices ?? 0), stroke: '#64748b' }]} />
                <UsageChart title="Messages and files per day" days={shown} series={[{ label: 'messages', values: r.days.map((d) => d.values.messages), stroke: '#059669' }, { label: 'files', values: r.days.map((d) => d.values.files), stroke: '#d97706' }]} />
                <UsageChart title="Calls per day" days={shown} series={[{ label: 'calls', values: r.days.map((d) => d.values.calls), stroke: '#7c3aed' }, { label: 'call minutes', values: r.days.map((d) => d.values.callMinutes), stroke: '#db2777' }]} />
              </Show>
              <ul class="usage-totals small" aria-label="Totals of the period">
                <li>Messages: {sum('messages')}</li>
                <li>Files: {sum('files')} ({sum('fileMb')} MiB sent)</li>
                <li>{storageText(r.storage)}</li>
                <li>Calls: {sum('calls')} ({sum('callMinutes')} min)</li>
                <li>People active, by week: {r.weeks.map((w) => `${w.start}: ${w.values.active}`).join('; ') || '—'}</li>
                <li>People active, by month: {r.months.map((m) => `${m.start}: ${m.values.active}`).join('; ') || '—'}</li>
                <li>Devices in contact, by week: {(r.devicesInContactByWeek ?? []).map((w) => `${w.start}: ${w.devices}`).join('; ') || '—'}</li>
                <li>Devices in contact, by month: {(r.devicesInContactByMonth ?? []).map((m) => `${m.start}: ${m.devices}`).join('; ') || '—'}</li>
              </ul>
              <button type="button" class="small-button" onClick={() => exportCsv(r)}>
                Export CSV
              </button>
              <details>
                <summary>Numbers per day</summary>
                <table class="usage-table">
                  <thead>
                    <tr>
                      <th scope="col">Day</th>
                      <th scope="col">Active</th>
                      <th scope="col">Devices</th>
                      <th scope="col">Messages</th>
                      <th scope="col">Files</th>
                      <th scope="col">MiB</th>
                      <th scope="col">Calls</th>
                      <th scope="col">Call min</th>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={r.days}>
                      {(d) => (
                        <tr>
                          <th scope="row">{d.day}</th>
                          <td>{d.values.active}</td>
                          <td>{r.devicesInContact.find((c) => c.day === d.day)?.devices ?? 0}</td>
                          <td>{d.values.messages}</td>
                          <td>{d.values.files}</td>
                          <td>{d.values.fileMb}</td>
                          <td>{d.values.calls}</td>
                          <td>{d.values.callMinutes}</td>
                        </tr>
                      )}
                    </For>
                  </tbody>
                </table>
              </details>
              <h4>Devices</h4>
              <p class="small">
                {r.devices.length} devices in touch; {silent().length} silent for {silentDays()} days or more{silent().length ? ':' : '.'}{' '}
                <label for="usage-silent">Silent for</label>{' '}
                <select id="usage-silent" value={String(silentDays())} onChange={(e) => setSilentDays(Number(e.currentTarget.value))}>
                  <For each={SILENT_DAYS}>{(n) => <option value={String(n)}>{n} days or more</option>}</For>
                </select>
              </p>
              <Show when={silent().length}>
                <ul class="small" aria-label={`Devices silent for ${silentDays()} days or more`}>
                  <For each={silent()}>
                    {(d) => (
                      <li>
                        {d.person}'s device {shortDeviceId(d.device)} ({d.platform}, {d.version}): last seen {d.lastDay}{' '}
                        <Show when={props.org.isAdmin()}>
                          <ConfirmRemove subject={`${d.person}'s device ${shortDeviceId(d.device)}`} consequence="Keys are replaced without this device: it reads nothing new from then on, and it deletes what it held of the organisation when it next connects." onConfirm={() => removeSilent(d.device)} onError={(err) => setProblem(messageOf(err))} />
                        </Show>
                      </li>
                    )}
                  </For>
                </ul>
                <ErrorLine message={problem()} />
              </Show>
              <p class="small">Versions: {r.versions.map((v) => `${v.name} (${v.devices})`).join(', ') || '—'}</p>
              <p class="small">Platforms: {r.platforms.map((v) => `${v.name} (${v.devices})`).join(', ') || '—'}</p>
              <p class="small">
                Groups: {r.groups.count} ({r.groups.sizes.filter((g) => g.groups).map((g) => `${g.bucket} people: ${g.groups}`).join(', ') || 'none'})
              </p>
              <h4>Groups of {r.privacy.minCell} people or more</h4>
              <Show when={r.groupActivity.length} fallback={<p class="muted small">None: smaller groups are never broken down.</p>}>
                <ul class="small" aria-label="Group activity">
                  <For each={r.groupActivity}>
                    {(g) => (
                      <li>
                        {g.name} ({g.people} people): {g.messages} messages; people active per day up to {Math.max(0, ...g.days.map((d) => d.active))}
                      </li>
                    )}
                  </For>
                </ul>
              </Show>
              <p class="small">
                Invitations: {r.invitations.made} made, {r.invitations.accepted} accepted, {r.invitations.open} open, {r.invitations.expired} expired
              </p>
            </>
          )
        }}
      </Show>
    </div>
  )
}

const mib = (bytes: number) => `${(bytes / 1_048_576).toLocaleString('en', { maximumFractionDigits: bytes < 10 * 1_048_576 ? 1 : 0 })} MiB`

/** [Q7] Files stored now for the organisation, as the server counts them for its quota. */
function storageText(s: UsageReport['storage']): string {
  if (!s) return 'Files stored: not known (asked of the server when online)'
  return `Files stored on ${s.asOf}: ${mib(s.bytes)} of ${mib(s.quotaBytes)}${s.pending ? ` (${mib(s.pending)} still uploading)` : ''}`
}
