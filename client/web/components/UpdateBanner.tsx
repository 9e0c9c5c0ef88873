import { Show } from 'solid-js'

/** A new version was downloaded by the service worker; it takes over when the person says so. */
export function UpdateBanner(props: { apply: (() => void) | undefined }) {
  return (
    <Show when={props.apply}>
      {(apply) => (
        <div class="banner" role="region" aria-label="Update">
          <span>A new version of FieldChat is ready.</span>
          <button type="button" onClick={() => apply()()}>
            Reload
          </button>
        </div>
      )}
    </Show>
  )
}
