import { createSignal, Show, type JSX } from 'solid-js'

/**
 * A button that opens a small form in its place. The form gets `close`, for its Cancel button and
 * for success; what the form holds lives with its owner, so it outlives a Cancel.
 */
export function Opener(props: { label: string; primary?: boolean; children: (close: () => void) => JSX.Element }) {
  const [open, setOpen] = createSignal(false)
  const close = () => setOpen(false)

  return (
    <Show
      when={open()}
      fallback={
        <button type="button" class={props.primary ? 'primary' : undefined} onClick={() => setOpen(true)}>
          {props.label}
        </button>
      }
    >
      {props.children(close)}
    </Show>
  )
}
