import { NameForm } from './NameForm.js'

/** "Create organisation": asks for its name; this person becomes its first admin. */
export function CreateOrganisation(props: { onCreate: (name: string) => Promise<void> }) {
  return (
    <NameForm
      opener={{ label: 'Create organisation' }}
      id="organisation-name"
      label="Organisation name"
      submit="Create organisation"
      onSubmit={(name) => props.onCreate(name)}
    >
      <p class="muted small">You become its first admin: you invite people, make groups and can remove anyone.</p>
    </NameForm>
  )
}
