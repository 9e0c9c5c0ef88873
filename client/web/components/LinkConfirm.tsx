import { createUniqueId, For } from 'solid-js'
import { Portal } from 'solid-js/web'
import type { LinkVerdict } from '../../core/links/index.js'

/**
 * [U10] "This link goes to evil.example, not bank.com. Open anyway?" before a warned link
 * opens. A modal dialog (Escape closes it) with Cancel focused, so a reflexive Enter keeps the
 * page; "Open anyway" opens the link in a new tab with no opener and no referrer.
 */
export function LinkConfirm(props: { verdict: LinkVerdict; onClose: () => void }) {
  const title = createUniqueId()
  const says = createUniqueId()
  let dialog!: HTMLDialogElement
  const show = (el: HTMLDialogElement) => {
    dialog = el
    queueMicrotask(() => el.isConnected && !el.open && el.showModal())
  }
  // Closing (rather than unmounting) lets the browser give focus back to the link.
  const close = () => dialog.close()
  const open = () => {
    window.open(props.verdict.href, '_blank', 'noopener,noreferrer')
    close()
  }
  return (
    <Portal>
      <dialog ref={show} class="link-confirm" aria-labelledby={title} aria-describedby={says} onClose={() => props.onClose()}>
        <h2 id={title}>Open this link?</h2>
        <p id={says}>
          This link goes to <strong>{props.verdict.displayHost}</strong>
          {props.verdict.shownHost ? `, not ${props.verdict.shownHost}` : ''}. Open anyway?
        </p>
        <ul class="link-confirm-reasons">
          <For each={props.verdict.reasons}>{(r) => <li data-code={r.code}>{r.text}</li>}</For>
        </ul>
        <div class="link-confirm-actions">
          <button type="button" class="primary" autofocus onClick={close}>
            Cancel
          </button>
          <button type="button" onClick={open}>
            Open anyway
          </button>
        </div>
      </dialog>
    </Portal>
  )
}
