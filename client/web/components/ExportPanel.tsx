import { createSignal, For, Show } from 'solid-js'
import { clientErrorText } from '../../core/errors.js'
import type { ConvId } from '../../../protocol/index.js'
import { MIN_ARCHIVE_PASSPHRASE, type ArchiveBinding, type ExportChoice } from '../archiveBinding.js'
import { ActionRow, createAction } from './ActionRow.js'
import { Opener } from './Opener.js'

const FORBIDDEN = clientErrorText.M510_EXPORT_FORBIDDEN

/**
 * [M31] "Export": chosen conversations to an encrypted archive file, under a passphrase typed
 * twice, downloaded by the browser. Conversations whose organisation forbids export ([T21]) are
 * shown, with the reason, and cannot be chosen; the engine checks the policy again when it
 * exports.
 */
export function ExportPanel(props: { archive: ArchiveBinding }) {
  const [done, setDone] = createSignal<string>()
  return (
    <section class="export" aria-labelledby="export-title">
      <h2 id="export-title">Export</h2>
      <p class="muted small">An encrypted archive file of conversations, opened again here or with the CLI, read-only.</p>
      <Opener label="Export conversations">{(close) => <ExportForm archive={props.archive} close={close} onDone={setDone} />}</Opener>
      <Show when={done()}>
        <p class="small" role="status">
          {done()}
        </p>
      </Show>
    </section>
  )
}

function ExportForm(props: { archive: ArchiveBinding; close: () => void; onDone: (text: string) => void }) {
  // Read when the form opens: the policy as this device knows it now.
  const choices: ExportChoice[] = props.archive.choices()
  const [chosen, setChosen] = createSignal<ReadonlySet<ConvId>>(new Set(choices.filter((c) => !c.forbidden).map((c) => c.conv)))
  const [pass, setPass] = createSignal('')
  const [again, setAgain] = createSignal('')
  const [problem, setProblem] = createSignal<string>()
  const action = createAction()
  const allForbidden = choices.length > 0 && choices.every((c) => c.forbidden)

  const toggle = (conv: ConvId, on: boolean) =>
    setChosen((s) => {
      const next = new Set(s)
      if (on) next.add(conv)
      else next.delete(conv)
      return next
    })

  const submit = (e: SubmitEvent) => {
    e.preventDefault()
    const [p, q] = [pass(), again()]
    const convs = choices.filter((c) => chosen().has(c.conv)).map((c) => c.conv)
    setProblem(undefined)
    if (!convs.length) return void setProblem('Choose at least one conversation.')
    if ([...p].length < MIN_ARCHIVE_PASSPHRASE) return void setProblem(`The passphrase needs at least ${MIN_ARCHIVE_PASSPHRASE} characters.`)
    if (p !== q) return void setProblem('The two passphrases differ.')
    // Emptied at once: the browser keeps no typed passphrase in its session files.
    setPass('')
    setAgain('')
    void action.run(async () => {
      const out = await props.archive.exportAndDownload(convs, p)
      props.onDone(`Saved ${out.fileName}: ${out.conversations} conversation${out.conversations === 1 ? '' : 's'}, ${out.messages} message${out.messages === 1 ? '' : 's'}. Keep the passphrase apart from the file.`)
      props.close()
    })
  }

  return (
    <form class="export-form" onSubmit={submit}>
      <fieldset>
        <legend>Conversations to export</legend>
        <Show when={choices.length > 0} fallback={<p class="muted small">No conversations on this device yet.</p>}>
          <For each={choices}>
            {(c) => (
              <label class="check">
                <input type="checkbox" checked={chosen().has(c.conv)} disabled={c.forbidden} onChange={(e) => toggle(c.conv, e.currentTarget.checked)} />
                {c.title}
                <Show when={c.forbidden}>
                  <span class="muted small"> ({FORBIDDEN})</span>
                </Show>
              </label>
            )}
          </For>
        </Show>
      </fieldset>
      <Show when={allForbidden}>
        <p class="alert" role="alert">
          {FORBIDDEN}
        </p>
      </Show>
      <label for="export-passphrase">Archive passphrase</label>
      <input id="export-passphrase" type="password" autocomplete="new-password" minLength={MIN_ARCHIVE_PASSPHRASE} required value={pass()} onInput={(e) => setPass(e.currentTarget.value)} />
      <label for="export-passphrase-again">Passphrase again</label>
      <input id="export-passphrase-again" type="password" autocomplete="new-password" required value={again()} onInput={(e) => setAgain(e.currentTarget.value)} />
      <ActionRow label={action.busy() ? 'Sealing…' : 'Export'} busy={action.busy()} error={problem() ?? action.error()} disabled={chosen().size === 0} onCancel={props.close} />
    </form>
  )
}
