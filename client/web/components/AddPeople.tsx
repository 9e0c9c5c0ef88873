import { createSignal, For, Show } from 'solid-js'
import type { GroupAdmin } from '../teamBinding.js'
import { ActionRow } from './ActionRow.js'
import { Opener } from './Opener.js'

/**
 * A group admin (or an organisation admin) adds people of the organisation who are not in the
 * group yet. Adding rotates the group key to include their devices ([T9]). A failure goes to
 * `onError`, not to an error line of its own.
 */
export function AddPeople(props: { group: GroupAdmin; onError: (err: unknown) => void }) {
  const [chosen, setChosen] = createSignal<ReadonlySet<string>>(new Set())
  const [busy, setBusy] = createSignal(false)

  const toggle = (user: string, on: boolean) =>
    setChosen((s) => {
      const next = new Set(s)
      if (on) next.add(user)
      else next.delete(user)
      return next
    })

  const add = (e: SubmitEvent, close: () => void) => {
    e.preventDefault()
    const users = [...chosen()].filter((u) => props.group.candidates().some((c) => c.user === u))
    if (!users.length) return
    setBusy(true)
    props.group
      .add(users)
      .then(() => {
        setChosen(new Set<string>())
        close()
      }, props.onError)
      .finally(() => setBusy(false))
  }

  return (
    <Show when={props.group.canAdd()}>
      <Opener label="Add people">
        {(close) => (
          <form class="add-people" onSubmit={(e) => add(e, close)}>
            <fieldset>
              <legend>Add people</legend>
              <Show when={props.group.candidates().length > 0} fallback={<p class="muted small">Everyone in the organisation is in this group.</p>}>
                <For each={props.group.candidates()}>
                  {(c) => (
                    <label class="check">
                      <input type="checkbox" checked={chosen().has(c.user)} onChange={(e) => toggle(c.user, e.currentTarget.checked)} />
                      {c.name}
                    </label>
                  )}
                </For>
              </Show>
            </fieldset>
            <ActionRow label="Add" busy={busy()} disabled={chosen().size === 0} onCancel={close} />
          </form>
        )}
      </Opener>
    </Show>
  )
}
