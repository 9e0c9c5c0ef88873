import { For, Show } from 'solid-js'
import type { ConvId } from '../../../protocol/index.js'
import { hrefOf } from '../route.js'
import type { OrgRow, PendingJoin } from '../teamBinding.js'
import { CreateOrganisation } from './CreateOrganisation.js'

/**
 * The organisations this device is in (each links to its people, groups and invitations), the
 * ones it asked to join and waits for ([T12]: only an admin's device admits; [T17] a device link
 * waits for the person's own device too), and "Create organisation".
 */
export function Organisations(props: {
  orgs: readonly OrgRow[]
  pending: readonly PendingJoin[]
  current: ConvId | undefined
  onCreate: (name: string) => Promise<void>
}) {
  return (
    <nav class="organisations" aria-labelledby="organisations-title">
      <h2 id="organisations-title">Organisations</h2>
      <Show when={props.orgs.length + props.pending.length > 0}>
        <ul aria-label="Organisations">
          <For each={props.orgs}>
            {(o) => (
              <li>
                <a href={hrefOf({ kind: 'org', org: o.org })} aria-current={o.org === props.current ? 'page' : undefined}>
                  {o.name}
                </a>
                <Show when={o.admin}>
                  <span class="member-badge">admin</span>
                </Show>
              </li>
            )}
          </For>
          <For each={props.pending}>
            {(p) => (
              <li class="pending-join">
                <span class="org-name">{p.orgName}</span>
                <span class="muted small" role="status">
                  {p.device ? 'Waiting for your other device and an admin to let this device in' : 'Waiting for an admin to let you in'}
                </span>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <CreateOrganisation onCreate={props.onCreate} />
    </nav>
  )
}
