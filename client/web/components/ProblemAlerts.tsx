import { For, Show } from 'solid-js'
import type { Problem } from '../binding.js'

/** Problems the engine reported; each stays until dismissed. Nothing stored was lost by them. */
export function ProblemAlerts(props: { problems: readonly Problem[]; onDismiss: (id: number) => void }) {
  return (
    <div class="problems">
      <For each={props.problems}>
        {(problem) => (
          <div class="alert" role="alert">
            <p>
              {problem.text}
              <Show when={problem.count > 1}> <span class="muted">(×{problem.count})</span></Show>
            </p>
            <Show when={problem.detail}>
              <p class="alert-detail">{problem.detail}</p>
            </Show>
            <button type="button" class="link-button" onClick={() => props.onDismiss(problem.id)}>
              Dismiss
            </button>
          </div>
        )}
      </For>
    </div>
  )
}
