import { createSignal } from 'solid-js'
import { NameForm } from './NameForm.js'

/**
 * "New group": a name, and whether people added later can read what was written before they
 * came (the key chain is passed on, [T9]; on by default).
 */
export function NewGroup(props: { onCreate: (name: string, history: boolean) => Promise<void> }) {
  const [history, setHistory] = createSignal(true)

  const create = async (name: string) => {
    await props.onCreate(name, history())
    setHistory(true)
  }

  return (
    <NameForm opener={{ label: 'New group' }} id="group-name" label="Group name" submit="Create group" onSubmit={create}>
      <label class="check">
        <input type="checkbox" checked={history()} onChange={(e) => setHistory(e.currentTarget.checked)} />
        New members can read earlier messages
      </label>
    </NameForm>
  )
}
