import { For, Show } from 'solid-js'
import type { ConvId } from '../../../protocol/index.js'
import { hrefOf } from '../route.js'
import type { OrgRow } from '../teamBinding.js'
import { CreateOrganisation } from './CreateOrganisation.js'
import { UnreadBadge } from './UnreadBadge.js'

/**
 * The organisations this device is in (each links to its people, groups and invitations), and
 * "Create organisation". Conversations are one-space organisations too, but are listed only
 * with the conversations; invitations still waiting for an admin are in `PendingJoins`.
 */
export function Organisations(props: {
  orgs: readonly OrgRow[]
  current: ConvId | undefined
  onCreate: (name: string) => Promise<void>
  /** [W24] Unread messages in an organisation's own conversation (its groups have rows of their own). */
  unread?: (org: ConvId) => number
}) {
  return (
    <nav class="organisations" aria-labelledby="organisations-title">
      <h2 id="organisations-title">Organisations</h2>
      <Show when={props.orgs.length > 0}>
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
                <UnreadBadge count={props.unread?.(o.org) ?? 0} />
              </li>
            )}
          </For>
        </ul>
      </Show>
      <CreateOrganisation onCreate={props.onCreate} />
    </nav>
  )
}
