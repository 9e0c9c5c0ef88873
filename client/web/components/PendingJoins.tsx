import { For, Show } from 'solid-js'
import type { PendingJoin } from '../teamBinding.js'

/**
 * Invitations this device answered and still waits on ([T12]: only an admin's device lets it in;
 * [T17] a device link waits for the person's own device too). Once let in, the row leaves this
 * list and the space appears in its own; a refused answer leaves it too (with the reason shown as
 * a problem), and the person may stop waiting with Cancel.
 */
export function PendingJoins(props: { pending: readonly PendingJoin[]; onCancel: (org: PendingJoin['org']) => Promise<void>; onError: (err: unknown) => void }) {
  return (
    <Show when={props.pending.length > 0}>
      <section class="pending-joins" aria-labelledby="pending-joins-title">
        <h2 id="pending-joins-title">Waiting to join</h2>
        <ul aria-label="Waiting to join">
          <For each={props.pending}>
            {(p) => (
              <li>
                <span class="muted small" role="status">
                  {p.device
                    ? `Asked to add this device to ${p.orgName} — waiting for your other device and an admin to let this device in`
                    : `Asked to join the ${p.conversation ? 'conversation' : 'organisation'} ${p.orgName} — waiting for an admin to let you in`}
                </span>{' '}
                <button type="button" class="link" aria-label={`Stop waiting to join ${p.orgName}`} onClick={() => props.onCancel(p.org).catch(props.onError)}>
                  Cancel
                </button>
              </li>
            )}
          </For>
        </ul>
      </section>
    </Show>
  )
}
