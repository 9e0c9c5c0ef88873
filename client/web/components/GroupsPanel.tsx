import { For, Show } from 'solid-js'
import { hrefOf } from '../route.js'
import type { GroupSummary } from '../teamBinding.js'
import { NewGroup } from './NewGroup.js'

/**
 * An organisation's groups this device knows: its own, and every group for an organisation
 * admin (who may manage groups they are not in). Each group is a conversation of its own.
 */
export function GroupsPanel(props: { groups: readonly GroupSummary[]; onCreate: (name: string, history: boolean) => Promise<void> }) {
  const count = (g: GroupSummary) => (g.members.length === 1 ? '1 member' : `${g.members.length} members`)
  return (
    <section class="panel" aria-labelledby="groups-title">
      <h3 id="groups-title">Groups</h3>
      <NewGroup onCreate={props.onCreate} />
      <Show when={props.groups.length > 0} fallback={<p class="muted small">No groups yet.</p>}>
        <ul class="plain-list" aria-label="Groups">
          <For each={props.groups}>
            {(g) => (
              <li>
                <Show when={g.member} fallback={<span>{g.name}</span>}>
                  <a href={hrefOf({ kind: 'conversation', conv: g.group })}>{g.name}</a>
                </Show>
                <span class="muted small">
                  {count(g)}
                  <Show when={!g.member}> · you are not in it</Show>
                  <Show when={!g.history}> · no earlier messages for newcomers</Show>
                </span>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </section>
  )
}
