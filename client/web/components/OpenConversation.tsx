import { Show } from 'solid-js'
import type { MessengerBinding } from '../binding.js'
import type { ConvId } from '../../../protocol/index.js'
import { AddPeople } from './AddPeople.js'
import { ConversationView } from './ConversationView.js'

/** Opens `conv` in the engine for as long as this component is mounted (keyed on the id). */
export function OpenConversation(props: { binding: MessengerBinding; conv: ConvId }) {
  // Read once on purpose: the parent is keyed on the id, so a new id mounts a new component.
  const conversation = props.binding.conversation(props.conv)
  const group = conversation.space?.kind === 'group' ? props.binding.team.groupAdmin(props.conv) : undefined
  return (
    <ConversationView
      conversation={conversation}
      title={props.binding.titleOf(props.conv)}
      onError={props.binding.reportError}
      membersExtra={
        <Show when={!conversation.accessLost() && group}>{(g) => <AddPeople group={g()} onError={props.binding.reportError} />}</Show>
      }
    />
  )
}
