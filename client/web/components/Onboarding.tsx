import type { JSX } from 'solid-js'
import { NameForm } from './NameForm.js'

/** First run: a display name; the device keys are made locally by the engine. */
export function Onboarding(props: { onCreate: (name: string) => Promise<void>; children?: JSX.Element }) {
  return (
    <section class="card onboarding" aria-labelledby="onboarding-title">
      <h1 id="onboarding-title">Welcome to FieldChat</h1>
      {props.children}
      <p>
        Choose the name others will see. Your keys are created on this device and never leave it; messages are encrypted before
        they are sent.
      </p>
      <NameForm
        id="display-name"
        name="display-name"
        autocomplete="off"
        label="Display name"
        submit="Continue"
        onSubmit={(name) => props.onCreate(name)}
      />
    </section>
  )
}
