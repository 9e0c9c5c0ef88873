import type { JSX } from 'solid-js'
import { ActionRow, createAction } from './ActionRow.js'

/**
 * An invitation link was opened: a card that says what it is (`children`), and joins only when
 * the person asks. Success leaves this screen, so the join button stays disabled until it does.
 */
export function InvitationCard(props: {
  titleId: string
  title: JSX.Element
  join: JSX.Element
  onJoin: () => Promise<void>
  onCancel: () => void
  children: JSX.Element
}) {
  const action = createAction({ keepBusy: true })

  return (
    <section class="card" aria-labelledby={props.titleId}>
      <h2 id={props.titleId}>{props.title}</h2>
      {props.children}
      <ActionRow
        label={props.join}
        busy={action.busy()}
        error={action.error()}
        onClick={() => void action.run(() => props.onJoin())}
        cancel="Not now"
        onCancel={() => props.onCancel()}
      />
    </section>
  )
}
