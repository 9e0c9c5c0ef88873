import { NameForm } from './NameForm.js'

/** "New conversation": asks for a title, then hands it to `onCreate`. */
export function NewConversation(props: { onCreate: (title: string) => Promise<void> }) {
  return (
    <NameForm
      opener={{ label: 'New conversation', primary: true }}
      id="conversation-name"
      label="Conversation name"
      submit="Create"
      onSubmit={(title) => props.onCreate(title)}
    />
  )
}
