import { For, Show } from 'solid-js'
import { MAX_CALL_DEVICES } from '../../core/calls/calls.js'
import type { CallsBinding } from './callsBinding.js'

/**
 * [W32] Calls ringing for this device, wherever the person is in the app: who calls, in which
 * conversation, voice or video, with Accept and Decline. A call stops ringing when its caller
 * hangs up or after 45 s unanswered; Decline stops it on this device and tells the others
 * (client/core [V3]). A call that already holds 8 devices says it is full, and Accept is off.
 */
export function IncomingCalls(props: { calls: CallsBinding; titleOf: (conv: string) => string; onError: (err: unknown) => void }) {
  const ringing = () => props.calls.views().filter((v) => v.role === 'ringing' && props.calls.active()?.conv !== v.conv)
  return (
    <Show when={ringing().length}>
      <section class="incoming-calls" aria-label="Incoming calls">
        <For each={ringing()}>
          {(v) => (
            <div class="incoming-call" role="alertdialog" aria-label={`${v.video ? 'Video' : 'Voice'} call from ${props.calls.nameOf(v.conv, v.peers[0] ?? '')}`}>
              <p>
                <strong>{props.calls.nameOf(v.conv, v.peers[0] ?? '')}</strong>
                {v.peers.length > 1 ? ` and ${v.peers.length - 1} more` : ''} · {v.video ? 'video call' : 'voice call'} in {props.titleOf(v.conv)}
                {v.full ? ` · full (${MAX_CALL_DEVICES} people)` : ''}
              </p>
              <button type="button" class="small-button" disabled={v.full} onClick={() => void props.calls.accept(v.conv).catch(props.onError)}>
                Accept
              </button>
              <button type="button" class="small-button danger" onClick={() => void props.calls.decline(v.conv).catch(props.onError)}>
                Decline
              </button>
            </div>
          )}
        </For>
      </section>
    </Show>
  )
}
