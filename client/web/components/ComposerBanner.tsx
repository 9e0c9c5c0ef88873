import { Match, Switch } from 'solid-js'
import { QUOTE_PREVIEW, type ComposerMode } from './MessageUiContext.js'

/**
 * [W15][W17] Above the composer while it answers or edits a message: "Replying to Ana: …" or
 * "Editing your message: …", with the way out (Escape in the text box does the same).
 */
export function ComposerBanner(props: { mode: ComposerMode; onCancel: () => void }) {
  const text = () => quoteOf(props.mode.message.text)
  return (
    <div class="composer-banner" role="group" aria-label={props.mode.kind === 'reply' ? 'Reply' : 'Edit'}>
      <p class="composer-banner-text">
        <Switch>
          <Match when={props.mode.kind === 'reply'}>
            Replying to <strong>{props.mode.message.mine ? 'yourself' : props.mode.message.authorName}</strong>: {text()}
          </Match>
          <Match when={props.mode.kind === 'edit'}>
            Editing your message: {text()}
          </Match>
        </Switch>
      </p>
      <button type="button" class="small-button" onClick={() => props.onCancel()}>
        {props.mode.kind === 'reply' ? 'Cancel reply' : 'Cancel editing'}
      </button>
    </div>
  )
}

function quoteOf(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  const chars = [...flat]
  return chars.length > QUOTE_PREVIEW ? `${chars.slice(0, QUOTE_PREVIEW - 1).join('')}…` : flat || '📎'
}
