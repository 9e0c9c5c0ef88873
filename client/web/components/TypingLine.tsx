import { typingText } from '../presence/typingText.js'

/**
 * [W23] "Bea is typing…" under the log: a polite live region present from the start (so its first
 * words are announced), empty while nobody types; the engine says when a typist's time is up.
 */
export function TypingLine(props: { names: readonly string[] }) {
  return (
    <p class="typing-line muted small" role="status" aria-label="Typing">
      {typingText(props.names)}
    </p>
  )
}
