import { createSignal, Show } from 'solid-js'
import { formatTime } from '../format.js'
import { INVITE_DAYS } from '../teamBinding.js'
import { QrCode } from './QrCode.js'

/** True of every conversation invitation ([T12]): the engine makes them one-time, for `INVITE_DAYS`. */
export const CONVERSATION_NOTE = `One person can use this link, once, within ${INVITE_DAYS} days, to ask to join this conversation; an admin's device lets them in. Share it only with the person you mean.`

/**
 * An invitation link, read-only with a copy button: a one-time link to a conversation or an
 * organisation ([T12]), with its expiry and (`qr`) a QR code to scan from this screen. The
 * link holds no key: it only lets its holder ask an admin's device to let them in, once.
 * A device link ([T17]) is the same panel under its own `label` and QR caption.
 */
export function InvitePanel(props: {
  id: string
  link: string
  note?: string
  expires?: number
  qr?: boolean
  /** The field's name (default "Invitation link"); the QR code is "QR code of the <label, lower case>". */
  label?: string
  qrCaption?: string
}) {
  const label = () => props.label ?? 'Invitation link'
  const [copied, setCopied] = createSignal<'yes' | 'no'>()
  let input!: HTMLInputElement

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.link)
      setCopied('yes')
    } catch {
      // No clipboard permission (or no secure context): select the text so it can be copied by hand.
      input.select()
      setCopied('no')
    }
  }

  return (
    <div class="invite" id={props.id}>
      <label for={`${props.id}-link`}>{label()}</label>
      <div class="row">
        <input id={`${props.id}-link`} ref={input} readOnly autocomplete="off" value={props.link} onFocus={(e) => e.currentTarget.select()} />
        <button type="button" onClick={copy}>
          Copy link
        </button>
      </div>
      <Show when={props.expires}>{(at) => <p class="small">Expires {formatTime(at())}.</p>}</Show>
      <p class="muted small" aria-live="polite">
        <Show when={copied()} fallback={props.note ?? CONVERSATION_NOTE}>
          {copied() === 'yes' ? 'Link copied.' : 'Could not copy automatically: the link is selected, copy it by hand.'}
        </Show>
      </p>
      <Show when={props.qr}>
        <QrCode
          data={props.link}
          label={`QR code of the ${label().toLowerCase()}`}
          caption={props.qrCaption ?? 'Scan with the phone of the person you invite.'}
        />
      </Show>
    </div>
  )
}
