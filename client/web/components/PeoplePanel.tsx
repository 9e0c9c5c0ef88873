import { For } from 'solid-js'
import type { OrgBinding } from '../teamBinding.js'
import { PersonItem } from './PersonItem.js'

/** An organisation's directory ([T13]): everyone in it, as the signed membership graph says. */
export function PeoplePanel(props: { org: OrgBinding; myName: string; onError: (err: unknown) => void }) {
  return (
    <section class="panel members" aria-labelledby="people-title">
      <h3 id="people-title">People</h3>
      <ul aria-label="People">
        <For each={props.org.directory()}>{(person) => <PersonItem person={person} org={props.org} myName={props.myName} onError={props.onError} />}</For>
      </ul>
      <p class="muted small">Verify compares safety numbers: if they match on both screens, nobody has swapped a device key.</p>
    </section>
  )
}
