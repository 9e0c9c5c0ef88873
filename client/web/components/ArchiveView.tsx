import { createSignal, For, Show } from 'solid-js'
import type { ArchiveBinding, ArchivedConversation, ArchiveView as View } from '../archiveBinding.js'
import { formatTime } from '../format.js'
import { ActionRow, createAction } from './ActionRow.js'
import { MessageText } from './MessageText.js'
import { Opener } from './Opener.js'

/**
 * [M31] "Open an archive": a file and its passphrase, then a read-only view of its conversations
 * and messages. The archive stays in this view: nothing of it joins the device's conversations,
 * and closing the view forgets it.
 */
export function ArchiveView(props: { archive: ArchiveBinding }) {
  const [view, setView] = createSignal<View>()
  return (
    <section class="archive" aria-labelledby="archive-title">
      <h2 id="archive-title">Archives</h2>
      <Opener label="Open an archive">{(close) => <OpenForm archive={props.archive} close={close} onOpen={setView} />}</Opener>
      <Show when={view()} keyed>
        {(v) => <Opened view={v} onClose={() => setView(undefined)} />}
      </Show>
    </section>
  )
}

function OpenForm(props: { archive: ArchiveBinding; close: () => void; onOpen: (view: View) => void }) {
  const [file, setFile] = createSignal<File>()
  const [pass, setPass] = createSignal('')
  const action = createAction()
  const submit = (e: SubmitEvent) => {
    e.preventDefault()
    const chosen = file()
    const p = pass()
    if (!chosen) return
    setPass('')
    void action.run(async () => {
      props.onOpen(await props.archive.open(chosen, p))
      props.close()
    })
  }
  return (
    <form class="archive-form" onSubmit={submit}>
      <label for="archive-file">Archive file</label>
      <input id="archive-file" type="file" accept=".fcarchive" required onChange={(e) => setFile(e.currentTarget.files?.[0])} />
      <label for="archive-passphrase">Archive passphrase</label>
      <input id="archive-passphrase" type="password" autocomplete="off" required value={pass()} onInput={(e) => setPass(e.currentTarget.value)} />
      <ActionRow label={action.busy() ? 'Opening…' : 'Open'} busy={action.busy()} error={action.error()} disabled={!file()} onCancel={props.close} />
    </form>
  )
}

function Opened(props: { view: View; onClose: () => void }) {
  return (
    <section class="archive-view card" aria-labelledby="archive-view-title">
      <h3 id="archive-view-title">Archive</h3>
      <p class="small">
        Exported {new Date(props.view.exportedAt).toLocaleString()} by {props.view.by.name}. Read-only: nothing of it is added to this device.
      </p>
      <button type="button" onClick={() => props.onClose()}>
        Close archive
      </button>
      <Show when={props.view.conversations.length > 0} fallback={<p class="muted small">This archive holds no conversations.</p>}>
        <For each={props.view.conversations}>{(c) => <ArchivedThread conversation={c} />}</For>
      </Show>
    </section>
  )
}

const KIND = { org: 'organisation', group: 'group', conversation: 'conversation' } as const

function ArchivedThread(props: { conversation: ArchivedConversation }) {
  const c = props.conversation
  const where = c.kind === 'group' && c.org ? `group of ${c.org.name}` : KIND[c.kind]
  return (
    <section class="archived-conversation" aria-label={`Archived: ${c.title}`}>
      <h4>
        {c.title} <span class="muted small">({where})</span>
      </h4>
      <Show when={c.messages.length > 0} fallback={<p class="muted small">No messages.</p>}>
        <ol class="messages">
          <For each={c.messages}>
            {(m) => (
              <li class="message">
                <div class="message-meta">
                  <span class="message-author">{m.authorName}</span>
                  <time datetime={new Date(m.ts).toISOString()}>{formatTime(m.ts)}</time>
                  <Show when={m.hidden}>
                    <span class="muted small" title="Its author was not a member device of the key it was written under; the app did not show it">
                      hidden
                    </span>
                  </Show>
                </div>
                <p class="message-text" data-testid="archived-text">
                  <MessageText text={m.text} />
                </p>
              </li>
            )}
          </For>
        </ol>
      </Show>
    </section>
  )
}
