import { createSignal, For, Show } from 'solid-js'
import type { GroupAdmin } from '../teamBinding.js'

/**
 * A group admin (or an organisation admin) adds people of the organisation who are not in the
 * group yet. Adding rotates the group key to include their devices ([T9]).
 */
export function AddPeople(props: { group: GroupAdmin; onError: (err: unknown) => void }) {
  const [open, setOpen] = createSignal(false)
  const [chosen, setChosen] = createSignal<ReadonlySet<string>>(new Set())
  const [busy, setBusy] = createSignal(false)

  const toggle = (user: string, on: boolean) =>
    setChosen((s) => {
      const next = new Set(s)
      if (on) next.add(user)
      else next.delete(user)
      return next
    })

  const add = (e: SubmitEvent) => {
    e.preventDefault()
    const users = [...chosen()].filter((u) => props.group.candidates().some((c) => c.user === u))
    if (!users.length) return
    setBusy(true)
    props.group
      .add(users)
      .then(() => {
        setChosen(new Set<string>())
        setOpen(false)
      }, props.onError)
      .finally(() => setBusy(false))
  }

  return (
    <Show when={props.group.canAdd()}>
      <Show
        when={open()}
        fallback={
          <button type="button" onClick={() => setOpen(true)}>
            Add people
          </button>
        }
      >
        <form class="add-people" onSubmit={add}>
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
          <div class="row">
            <button type="submit" class="primary" disabled={busy() || chosen().size === 0}>
              Add
            </button>
            <button type="button" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
        </form>
      </Show>
    </Show>
  )
}
