import { createSignal, createUniqueId, For, Show, type Accessor } from 'solid-js'
import type { DisplayMessage } from '../../core/messenger.js'
import type { ConvId } from '../../../protocol/index.js'
import { messageOf } from '../binding.js'
import type { MessageUi } from './MessageUiContext.js'

/** [W16] The quick reactions offered (any one emoji is accepted by the engine, [M42]). */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'] as const

/**
 * [W15]–[W18] A message's actions, behind one button ("Actions for message from Ana"; on a
 * touch screen a long press on the message opens them too): React, Reply, Edit (this device's
 * messages), Pin/Unpin, Forward (to another conversation; a message's files are sent again, [M44]),
 * Delete for everyone (this device's messages, with a second step). Escape closes them and
 * gives the focus back to the button. Each is one engine call; its refusal is shown here.
 */
export function MessageActions(props: { message: DisplayMessage; ui: MessageUi; open: Accessor<boolean>; setOpen: (open: boolean) => void }) {
  const id = createUniqueId()
  const [step, setStep] = createSignal<'menu' | 'forward' | 'delete'>('menu')
  const [error, setError] = createSignal<string>()
  const [done, setDone] = createSignal<string>()
  let opener!: HTMLButtonElement
  const m = () => props.message
  const who = () => (m().mine ? 'you' : m().authorName)
  const mineReaction = (emoji: string) => !!m().reactions?.some((r) => r.emoji === emoji && r.mine)

  const close = (focus = true) => {
    props.setOpen(false)
    setStep('menu')
    if (focus) opener.focus()
  }
  const run = (act: () => Promise<void>, after?: string) => {
    setError(undefined)
    act().then(
      () => {
        setDone(after)
        close()
      },
      (err: unknown) => setError(messageOf(err)),
    )
  }
  const compose = (kind: 'reply' | 'edit') => {
    props.ui.setMode({ kind, message: m() })
    close(false)
  }

  return (
    <div class="message-actions">
      <button
        ref={opener}
        type="button"
        class="actions-button"
        aria-label={`Actions for message from ${who()}`}
        aria-expanded={props.open()}
        aria-controls={props.open() ? id : undefined}
        onClick={() => (props.open() ? close() : (setError(undefined), setDone(undefined), props.setOpen(true)))}
      >
        <span aria-hidden="true">⋯</span>
      </button>
      <span class="visually-hidden" role="status">
        {done() ?? ''}
      </span>
      <Show when={props.open()}>
        <div
          id={id}
          class="actions-panel"
          role="group"
          aria-label={`Actions for message from ${who()}`}
          onKeyDown={(e) => {
            if (e.key !== 'Escape') return
            e.preventDefault()
            e.stopPropagation()
            close()
          }}
        >
          <Show when={step() === 'menu'}>
            <div ref={focusFirst} class="quick-reactions" role="group" aria-label="React">
              <For each={QUICK_REACTIONS}>
                {(emoji) => (
                  <button
                    type="button"
                    class="reaction-choice"
                    aria-pressed={mineReaction(emoji)}
                    aria-label={`React with ${emoji}`}
                    onClick={() => run(() => (mineReaction(emoji) ? props.ui.actions.unreact(m().ref, emoji) : props.ui.actions.react(m().ref, emoji)))}
                  >
                    {emoji}
                  </button>
                )}
              </For>
            </div>
            <div class="action-list">
              <button type="button" onClick={() => compose('reply')}>
                Reply
              </button>
              <Show when={m().mine}>
                <button type="button" onClick={() => compose('edit')}>
                  Edit
                </button>
              </Show>
              <button type="button" onClick={() => run(() => props.ui.actions.pin(m().ref, !m().pinned), m().pinned ? 'Unpinned' : 'Pinned')}>
                {m().pinned ? 'Unpin' : 'Pin'}
              </button>
              <button type="button" onClick={() => (setError(undefined), setStep('forward'))}>
                Forward
              </button>
              <Show when={m().mine}>
                <button type="button" class="danger" onClick={() => setStep('delete')}>
                  Delete for everyone
                </button>
              </Show>
            </div>
          </Show>
          <Show when={step() === 'forward'}>
            <ForwardChoice ui={props.ui} onPick={(to, title) => run(() => props.ui.actions.forward(m().ref, to), `Forwarded to ${title}`)} onCancel={() => setStep('menu')} />
          </Show>
          <Show when={step() === 'delete'}>
            <p ref={focusFirst} class="small">Delete this message for everyone? Its text disappears from every device; a placeholder stays.</p>
            <div class="action-list">
              <button type="button" class="danger" onClick={() => run(() => props.ui.actions.deleteForEveryone(m().ref))}>
                Confirm delete for everyone
              </button>
              <button type="button" onClick={() => setStep('menu')}>
                Cancel deleting
              </button>
            </div>
          </Show>
          <Show when={error()}>
            <p class="form-error" role="alert">
              {error()}
            </p>
          </Show>
        </div>
      </Show>
    </div>
  )
}

/** Each step of the panel starts with the focus on its first button (the one pressed is gone). */
function focusFirst(el: HTMLElement): void {
  queueMicrotask(() => (el.closest('.actions-panel') ?? el).querySelector<HTMLElement>('button')?.focus())
}

/** [M44] Forward: one button per other conversation on this device. */
function ForwardChoice(props: { ui: MessageUi; onPick: (to: ConvId, title: string) => void; onCancel: () => void }) {
  const targets = props.ui.actions.forwardTargets()
  return (
    <div ref={focusFirst} class="forward-choice" role="group" aria-label="Forward to">
      <Show when={targets.length} fallback={<p class="small muted">There is no other conversation on this device.</p>}>
        <ul class="forward-targets">
          <For each={targets}>
            {(t) => (
              <li>
                <button type="button" onClick={() => props.onPick(t.conv, t.title)}>
                  Forward to {t.title}
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <button type="button" onClick={() => props.onCancel()}>
        Cancel forwarding
      </button>
    </div>
  )
}
