import { createMemo, createSignal, createUniqueId, For, Match, Show, Switch } from 'solid-js'
import { base64url } from '../base64url.js'
import { qrPath } from '../qrSvg.js'
import { QrScanner } from './QrScanner.js'

/** What comparing a pasted code gives (crypto [V1] `compareVerificationText`). */
export type VerifyVerdict = 'match' | 'mismatch' | 'malformed'

/**
 * Verifying someone's keys ([V1]): both people compare the 60-digit safety number aloud, or one
 * scans the other's QR code with this device's camera (or any scanner app, and pastes the text
 * here). The QR code carries the base64url text of `code` rather than raw bytes, because scanner
 * apps hand over text; the panel only passes the text to `onScanned`, which does the comparison
 * in crypto/.
 */
export function VerifyPanel(props: {
  myName: string
  theirName: string
  safetyNumber: string
  code: Uint8Array
  onScanned?: (text: string) => VerifyVerdict
  /** [V2] Whether this person verified them already, and marking it (a matching code marks it too). */
  verified?: 'verified' | 'changed' | 'unverified'
  onVerified?: (verified: boolean) => void
}) {
  const id = createUniqueId()
  const groups = createMemo(() => props.safetyNumber.split(' '))
  const codeText = createMemo(() => base64url(props.code))
  const qr = createMemo(() => qrPath(codeText()))
  const [pasted, setPasted] = createSignal('')
  const [verdict, setVerdict] = createSignal<VerifyVerdict>()
  const [scanning, setScanning] = createSignal(false)

  const check = () => {
    const text = pasted().trim() // a copied line often brings a newline; the decoder itself stays strict
    if (!text || !props.onScanned) return
    const v = props.onScanned(text)
    setVerdict(v)
    if (v === 'match' && props.verified !== 'verified') props.onVerified?.(true)
  }

  return (
    <div class="verify">
      <p class="small">
        Compare this number with {props.theirName}, in person or on a call. If every digit matches, nobody has swapped a device key of
        either of you.
      </p>
      <div class="safety-number" role="group" aria-label={`Safety number with ${props.theirName}`}>
        <For each={groups()}>{(g) => <span>{g}</span>}</For>
      </div>
      <Show when={props.onVerified}>
        <Switch>
          <Match when={props.verified === 'verified'}>
            <p class="row small">
              <span>You verified {props.theirName}.</span>
              <button type="button" onClick={() => props.onVerified?.(false)}>
                Clear verification
              </button>
            </p>
          </Match>
          <Match when={true}>
            <Show when={props.verified === 'changed'}>
              <p class="verify-result bad">{props.theirName}'s devices changed since you verified them. Compare again.</p>
            </Show>
            <button type="button" onClick={() => props.onVerified?.(true)}>
              Mark {props.theirName} as verified
            </button>
          </Match>
        </Switch>
      </Show>

      <figure class="verify-qr">
        <svg role="img" aria-label={`QR code to verify ${props.myName}`} viewBox={`0 0 ${qr().size} ${qr().size}`} shape-rendering="crispEdges">
          <rect width={qr().size} height={qr().size} fill="#fff" />
          <path d={qr().d} fill="#000" />
        </svg>
        <figcaption class="muted small">{props.theirName} can scan this to check your keys.</figcaption>
      </figure>
      <label for={`${id}-mine`}>Your code as text</label>
      <input id={`${id}-mine`} class="verify-code" readOnly value={codeText()} onFocus={(e) => e.currentTarget.select()} />

      <Show when={props.onScanned}>
        <form
          class="verify-check"
          onSubmit={(e) => {
            e.preventDefault()
            check()
          }}
        >
          <label for={`${id}-theirs`}>Code scanned from {props.theirName}</label>
          <div class="row">
            <input
              id={`${id}-theirs`}
              class="verify-code"
              autocomplete="off"
              spellcheck={false}
              value={pasted()}
              onInput={(e) => {
                setPasted(e.currentTarget.value)
                setVerdict(undefined)
              }}
            />
            <button type="submit" disabled={!pasted().trim()}>
              Check
            </button>
          </div>
          <Show
            when={scanning()}
            fallback={
              <button
                type="button"
                onClick={() => {
                  setVerdict(undefined)
                  setScanning(true)
                }}
              >
                Scan {props.theirName}'s code
              </button>
            }
          >
            <QrScanner
              label={`Camera, scanning ${props.theirName}'s code`}
              onClose={() => setScanning(false)}
              onText={(text) => {
                setScanning(false)
                setPasted(text)
                check()
              }}
            />
          </Show>
        </form>
        {/* A live region that exists before the verdict does, so screen readers announce it. */}
        <div aria-live="polite">
          <Switch>
            <Match when={verdict() === 'match'}>
              <p class="verify-result ok">Keys match</p>
            </Match>
            <Match when={verdict() === 'mismatch'}>
              <p class="verify-result bad" role="alert">
                Keys do NOT match — do not trust this device
              </p>
            </Match>
            <Match when={verdict() === 'malformed'}>
              <p class="verify-result form-error">That is not a verification code. Paste the whole code, or scan it again.</p>
            </Match>
          </Switch>
        </div>
      </Show>
    </div>
  )
}
