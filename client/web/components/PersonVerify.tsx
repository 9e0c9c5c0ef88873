import { createMemo, Show } from 'solid-js'
import type { OrgBinding, VerifiedState } from '../teamBinding.js'
import { VerifyPanel } from './VerifyPanel.js'

/** [V1] The verification of one colleague, from the keys the directory states for both of you. */
export function PersonVerify(props: { org: OrgBinding; user: string; theirName: string; myName: string; verified: VerifiedState; onError: (err: unknown) => void }) {
  // Recomputed when anyone's devices change (a new device changes the safety number).
  const devices = createMemo(() => props.org.directory().map((e) => `${e.user}:${e.devices.join()}`).join(';'))
  const v = createMemo(() => (devices(), props.org.verification(props.user)))
  return (
    <Show when={v()} fallback={<p class="muted small">This person is no longer in the organisation.</p>}>
      {(ver) => (
        <VerifyPanel
          myName={props.myName}
          theirName={props.theirName}
          safetyNumber={ver().safetyNumber}
          code={ver().myCode}
          onScanned={ver().check}
          verified={props.verified}
          onVerified={(verified) => props.org.setVerified(props.user, verified).catch(props.onError)}
        />
      )}
    </Show>
  )
}
