import { createSignal, Show } from 'solid-js'
import type { UploadsBinding } from '../files/uploadBinding.js'
import { AttachmentTray } from './AttachmentTray.js'

/**
 * Writes a message. Enter sends, Shift+Enter adds a line (and Enter while an IME is composing
 * does neither). The draft is cleared at once: the engine stores the message locally first, so
 * sending never waits for the network; a refused message comes back into the box.
 *
 * [W8] Files: "Attach" (the file picker, several at once), "Camera" (the phone's camera), or
 * pasted into the box (drag and drop is on the conversation view). Chosen files wait in the tray
 * above; with files there, the text is their caption and Send sends them as one message.
 */
export function Composer(props: { onSend: (text: string) => Promise<void>; onError: (err: unknown) => void; files?: UploadsBinding }) {
  const [text, setText] = createSignal('')
  let box!: HTMLTextAreaElement
  let picker!: HTMLInputElement
  let camera!: HTMLInputElement

  const hasFiles = () => (props.files?.tray().length ?? 0) > 0
  const canSend = () => (hasFiles() ? props.files!.ready() : !!text().trim())

  const send = () => {
    const draft = text()
    if (!canSend()) return
    setText('')
    const sending = hasFiles() ? props.files!.send(draft.trim()) : props.onSend(draft)
    sending.catch((err: unknown) => {
      if (!text()) setText(draft)
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
          onInput={(e) => setText(e.currentTarget.value)}
          onPaste={(e) => {
            const files = [...(e.clipboardData?.files ?? [])]
            if (!files.length || !props.files) return
            e.preventDefault()
            props.files.add(files)
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
              e.preventDefault()
              send()
            }
          }}
        />
        <button type="submit" class="primary" disabled={!canSend()}>
          Send
        </button>
      </div>
    </form>
  )
}
