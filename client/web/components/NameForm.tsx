import { createSignal, type JSX } from 'solid-js'
import { ActionRow, createAction } from './ActionRow.js'
import { Opener } from './Opener.js'

/**
 * A small form that asks for one name (of a conversation, group, organisation or person) and
 * hands it to `onSubmit`; `children` go between the field and the error line.
 *
 * With an `opener` it sits behind a button of that text: opened, it takes the focus and has
 * Cancel; on success it clears and closes. Without one it stands alone (first run): its button
 * stays disabled after success, as the screen is about to be replaced.
 */
export function NameForm(props: {
  id: string
  label: string
  submit: string
  onSubmit: (name: string) => Promise<void>
  opener?: { label: string; primary?: boolean }
  name?: string
  autocomplete?: string
  children?: JSX.Element
}) {
  const [name, setName] = createSignal('')
  const action = createAction({ keepBusy: !props.opener })

  const form = (close?: () => void) => {
    const submit = (e: SubmitEvent) => {
      e.preventDefault()
      // Emptied before the app moves on: a field that still holds the name when the page
      // navigates is kept by the browser in its session files, in clear ([M28]).
      const value = name()
      setName('')
      void action.run(async () => {
        try {
          await props.onSubmit(value)
        } catch (err) {
          setName(value)
          throw err
        }
        close?.()
      })
    }
    return (
      <form class={close ? 'new-conversation' : undefined} onSubmit={submit}>
        <label for={props.id}>{props.label}</label>
        <input
          id={props.id}
          name={props.name}
          autocomplete={props.autocomplete ?? 'off'}
          maxLength={64}
          required
          ref={(el) => {
            // Opened by a press of its button: the person means to type now.
            if (close) queueMicrotask(() => el.focus())
          }}
          value={name()}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        {props.children}
        <ActionRow label={props.submit} busy={action.busy()} error={action.error()} onCancel={close} />
      </form>
    )
  }

  // Whether there is an opener is fixed for each use, so this branch need not be reactive.
  const opener = props.opener
  if (!opener) return form()
  return (
    <Opener label={opener.label} primary={opener.primary}>
      {form}
    </Opener>
  )
}
