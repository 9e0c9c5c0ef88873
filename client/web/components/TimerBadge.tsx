import { createSignal, onCleanup, onMount, Show } from 'solid-js'
import { remainingShort, remainingText } from '../timeline/remaining.js'

/** How often the time left is read again (once for every badge on screen). */
const TICK_MS = 15_000
const [now, setNow] = createSignal(Date.now())
let shown = 0
let tick: ReturnType<typeof setInterval> | undefined

/** One clock for every badge on screen, running only while one is. */
function useClock(): () => number {
  onMount(() => {
    if (shown++ === 0) {
      setNow(Date.now())
      tick = setInterval(() => setNow(Date.now()), TICK_MS)
    }
  })
  onCleanup(() => {
    if (--shown === 0) clearInterval(tick)
  })
  return now
}

/**
 * [W29] A message under a disappearing-messages timer: a small timer icon and the time left, its
 * accessible name "Disappears in 5 minutes". `exp` is the list's, already capped by the
 * organisation's maximum ([M67]); the engine removes the message when it comes.
 */
export function TimerBadge(props: { exp: number | undefined }) {
  return <Show when={props.exp}>{(exp) => <Badge exp={exp()} />}</Show>
}

function Badge(props: { exp: number }) {
  const clock = useClock()
  const left = () => Math.max(0, props.exp - clock())
  return (
    <span class="timer-badge" role="img" aria-label={`Disappears in ${remainingText(left())}`} title={`Disappears at ${new Date(props.exp).toLocaleString()}`}>
      <span aria-hidden="true">⏱ {remainingShort(left())}</span>
    </span>
  )
}
