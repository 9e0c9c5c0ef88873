import { Show } from 'solid-js'

/** A failure to show beside what failed, announced to screen readers (`role="alert"`); nothing when there is none. */
export function ErrorLine(props: { message: string | undefined }) {
  return (
    <Show when={props.message}>
      <p class="alert" role="alert">
        {props.message}
      </p>
    </Show>
  )
}
