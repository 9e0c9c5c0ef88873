import { createSignal, For, Show } from 'solid-js'
import { durationText, TIMER_SECONDS } from '../../core/documents/timer.js'
import type { TimerBinding } from '../timerBinding.js'

/** "Off", "5 minutes", … "90 days": the engine's own choices ([M65]); nothing else can be set (M560). */
const CHOICES: readonly number[] = [0, ...TIMER_SECONDS]
const label = (seconds: number) => (seconds ? durationText(seconds) : 'Off')

/** [W27] The header button's words: what a message sent now gets. */
export function timerSummary(t: TimerBinding): string {
  const s = t.state()
  return `Disappearing messages: ${s.effective ? durationText(s.effective) : 'off'}`
}

/**
 * [W27] The conversation's disappearing-messages setting, for every member: Off or one of the
 * engine's timers. A choice longer than the organisation's maximum ([T21] `maxDisappearSeconds`)
 * is shown unavailable, with the reason; with the organisation's maximum set, Off still leaves it.
 * A choice is one engine call (`setTimer`), offline too; the log then shows who changed it ([W28]).
 */
export function DisappearingSetting(props: { id: string; timer: TimerBinding; onError: (err: unknown) => void }) {
  const [busy, setBusy] = createSignal(false)
  const st = () => props.timer.state()
  const allowed = (seconds: number) => {
    const max = st().orgMax
    return seconds === 0 || !max || seconds <= max
  }
  const limitId = `${props.id}-limit`
  const choose = (seconds: number) => {
    if (busy()) return
    setBusy(true)
    props.timer.set(seconds).then(
      () => setBusy(false),
      (err: unknown) => (setBusy(false), props.onError(err)),
    )
  }
  return (
    <div class="timer-panel" id={props.id}>
      {/* Not disabled while the change is written: the focused choice keeps the focus. */}
      <fieldset aria-busy={busy()}>
        <legend>Disappearing messages</legend>
        <p class="muted small">New messages disappear from every member's devices this long after they are sent. Anyone in the conversation can change it.</p>
        <div class="timer-choices">
          <For each={CHOICES}>
            {(seconds) => (
              <label class="timer-choice" classList={{ unavailable: !allowed(seconds) }}>
                <input
                  type="radio"
                  name={`${props.id}-choice`}
                  value={String(seconds)}
                  checked={st().seconds === seconds}
                  disabled={!allowed(seconds)}
                  aria-describedby={allowed(seconds) ? undefined : limitId}
                  onChange={() => choose(seconds)}
                />{' '}
                {label(seconds)}
                <Show when={!allowed(seconds)}>
                  <span class="muted small"> (not allowed by your organisation)</span>
                </Show>
              </label>
            )}
          </For>
        </div>
        <Show when={st().orgMax}>
          {(max) => (
            <p id={limitId} class="small">
              Your organisation's policy lets messages stay at most {durationText(max())}: longer choices are unavailable
              {st().seconds === 0 ? `, and with this set to Off messages still disappear after ${durationText(max())}` : ''}.
            </p>
          )}
        </Show>
      </fieldset>
    </div>
  )
}
