import { createEffect, createSignal, on, Show } from 'solid-js'
import type { SendOptions } from '../../core/messenger.js'
import type { UploadsBinding } from '../files/uploadBinding.js'
import { AttachmentTray } from './AttachmentTray.js'
import { ComposerBanner } from './ComposerBanner.js'
import { createMentionPicker, MentionList } from './MentionPicker.js'
import { useMessageUi } from './MessageUiContext.js'

/**
 * Writes a message. Enter sends, Shift+Enter adds a line (and Enter while an IME is composing
 * does neither). The draft is cleared at once: the engine stores the message locally first, so
 * sending never waits for the network; a refused message comes back into the box.
 *
 * [W8] Files: "Attach" (the file picker, several at once), "Camera" (the phone's camera), or
 * pasted into the box (drag and drop is on the conversation view). Chosen files wait in the tray
 * above; with files there, the text is their caption and Send sends them as one message.
 *
 * [W15][W17][W19] In a conversation view: "Replying to …" (the message sent answers it) or
 * editing (the box holds the message's text; Save writes it), each with Cancel or Escape; "@"
 * offers the members to mention.
 */
export function Composer(props: { onSend: (text: string, opts?: SendOptions) => Promise<void>; onError: (err: unknown) => void; files?: UploadsBinding; onTyping?: () => void }) {
  const [text, setText] = createSignal('')
  let box!: HTMLTextAreaElement
  let picker!: HTMLInputElement
  let camera!: HTMLInputElement
  const [caret, setCaret] = createSignal(0)
  const ui = useMessageUi()
  const mode = () => ui?.mode()
  const editing = () => mode()?.kind === 'edit'
  const mentions = createMentionPicker({
    text,
    caret,
    people: () => ui?.actions.people().filter((p) => !p.me) ?? [],
    apply: (next, at) => {
      setText(next)
      box.setSelectionRange(at, at)
      setCaret(at)
    },
  })
  const track = () => setCaret(box.selectionStart)
  // Editing puts the message's text in the box; answering or editing takes the focus.
  createEffect(
    on(
      mode,
      (m, before) => {
        if (m?.kind === 'edit') setText(m.message.text)
        else if (before?.kind === 'edit') setText('')
        if (m) queueMicrotask(() => (box.focus(), box.setSelectionRange(box.value.length, box.value.length), track()))
      },
      { defer: true },
    ),
  )

  const hasFiles = () => (props.files?.tray().length ?? 0) > 0
  const canSend = () => (editing() ? !!text().trim() : hasFiles() ? props.files!.ready() : !!text().trim())

  const send = () => {
    const draft = text()
    const m = mode()
    if (!canSend()) return
    setText('')
    ui?.setMode(undefined)
    const ids = mentions.mentions(draft)
    mentions.reset()
    const opts: SendOptions = { ...(m?.kind === 'reply' ? { replyTo: m.message.ref } : {}), ...(ids.length ? { mentions: ids } : {}) }
    const sending =
      m?.kind === 'edit' ? ui!.actions.edit(m.message.ref, draft) : hasFiles() ? props.files!.send(draft.trim()) : props.onSend(draft, opts)
    sending.catch((err: unknown) => {
      // A refused message comes back into the box; a refused edit is only reported (the box is a new message's now).
      if (m?.kind !== 'edit' && !text()) setText(draft)
      props.onError(err)
    })
    box.focus()
  }

  const take = (input: HTMLInputElement) => {
    if (input.files?.length) props.files?.add([...input.files])
    input.value = ''
  }

  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault()
        send()
      }}
    >
      <Show when={mode()}>{(m) => <ComposerBanner mode={m()} onCancel={() => (ui?.setMode(undefined), box.focus())} />}</Show>
      <Show when={props.files && hasFiles()}>
        <AttachmentTray uploads={props.files!} />
      </Show>
      <Show when={props.files}>
        <div class="composer-tools">
          <button type="button" class="small-button" onClick={() => picker.click()}>
            Attach
          </button>
          <button type="button" class="small-button" onClick={() => camera.click()}>
            Camera
          </button>
          <input ref={picker} type="file" multiple class="visually-hidden" tabindex="-1" aria-label="Attach files" onChange={(e) => take(e.currentTarget)} />
          <input
            ref={camera}
            type="file"
            accept="image/*,video/*"
            capture="environment"
            class="visually-hidden"
            tabindex="-1"
            aria-label="Take a photo or video"
            onChange={(e) => take(e.currentTarget)}
          />
        </div>
      </Show>
      <MentionList picker={mentions} />
      <div class="composer-row">
        <label for="composer-text" class="visually-hidden">
          Message
        </label>
        <textarea
          id="composer-text"
          ref={box}
          rows={1}
          autocomplete="off"
          placeholder={hasFiles() ? 'Add a caption' : 'Write a message'}
          value={text()}
          aria-autocomplete="list"
          aria-controls={mentions.options().length ? mentions.listId : undefined}
          aria-activedescendant={mentions.activeId()}
          onKeyUp={(e) => (e.key.startsWith('Arrow') || e.key === 'Home' || e.key === 'End' ? track() : undefined)}
          onClick={track}
          onInput={(e) => {
            setText(e.currentTarget.value)
            track()
            // [W23] The engine paces the typing signals (at most one per 3 s) and sends none offline.
            if (e.currentTarget.value.trim()) props.onTyping?.()
          }}
          onPaste={(e) => {
            const files = [...(e.clipboardData?.files ?? [])]
            if (!files.length || !props.files) return
            e.preventDefault()
            props.files.add(files)
          }}
          onKeyDown={(e) => {
            if (mentions.onKeyDown(e)) return
            if (e.key === 'Escape' && mode()) {
              e.preventDefault()
              ui?.setMode(undefined)
              return
            }
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
              e.preventDefault()
              send()
            }
          }}
        />
        <button type="submit" class="primary" disabled={!canSend()}>
          {editing() ? 'Save' : 'Send'}
        </button>
      </div>
    </form>
  )
}
