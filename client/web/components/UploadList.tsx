import { For, Show } from 'solid-js'
import { clientErrorText, type ClientErrorCode } from '../../core/errors.js'
import type { UploadView } from '../../core/files/uploads.js'
import { thumbUrl } from '../files/canvas.js'
import { formatBytes, percent } from '../files/format.js'
import type { UploadsBinding } from '../files/uploadBinding.js'
import { createOnline } from '../files/online.js'
import { ProgressBar } from './ProgressBar.js'

const STATE_TEXT: Record<UploadView['state'], string> = {
  preparing: 'Encrypting',
  queued: 'Queued',
  sending: 'Sending',
  waiting: 'Waiting for network',
  failed: 'Failed',
}

/**
 * [W8] Files on their way out, in the conversation: one row per message with its files, a
 * progress bar with the percent, the state in words, Cancel, and Retry when it failed. They come
 * from the engine's outbox, so they are back after a reload and go on by themselves.
 */
export function UploadList(props: { uploads: UploadsBinding }) {
  const online = createOnline()
  return (
    <Show when={props.uploads.uploads().length > 0}>
      <ul class="uploads" aria-label="Uploads">
        <For each={props.uploads.uploads()}>{(u) => <UploadRow upload={u} uploads={props.uploads} offline={!online()} />}</For>
      </ul>
    </Show>
  )
}

function UploadRow(props: { upload: UploadView; uploads: UploadsBinding; offline: boolean }) {
  const u = () => props.upload
  const names = () => u().files.map((f) => f.name).join(', ')
  const size = () => u().files.reduce((n, f) => n + f.size, 0)
  const sent = () => u().files.reduce((n, f) => n + f.sent, 0)
  const sealed = () => u().files.reduce((n, f) => n + (f.sealed ?? f.size), 0)
  const state = () =>
    u().state === 'waiting' && !props.offline ? 'Waiting to retry'
    : u().state === 'preparing' ? `${STATE_TEXT.preparing} ${percent(sealed(), size())}%`
    : STATE_TEXT[u().state]
  return (
    <li class="upload" aria-label={`Upload ${names()}`}>
      <div class="upload-head">
        <Show when={u().files.find((f) => f.thumb)?.thumb}>{(t) => <img class="upload-thumb" src={thumbUrl(t())} alt={`Preview of ${u().files[0]!.name}`} />}</Show>
        <div class="tray-info">
          <span class="file-name">{names()}</span>
          <Show when={u().caption}>
            <span class="small file-name">{u().caption}</span>
          </Show>
          <span class="muted small" data-testid="upload-state">
            {state()} · {formatBytes(sent())} of {formatBytes(size())}
          </span>
        </div>
      </div>
      <Show when={u().state === 'failed' && u().error}>
        <p class="file-verdict block" role="alert">
          {clientErrorText[u().error as ClientErrorCode] ?? u().error}
        </p>
      </Show>
      <div class="upload-foot">
        <ProgressBar label={`Upload of ${names()}`} value={percent(sent(), size())} />
        <Show when={u().state === 'failed'}>
          <button type="button" class="small-button" onClick={() => props.uploads.retry(u().id)}>
            Retry<span class="visually-hidden"> upload of {names()}</span>
          </button>
        </Show>
        <button type="button" class="small-button" onClick={() => void props.uploads.cancel(u().id)}>
          Cancel<span class="visually-hidden"> upload of {names()}</span>
        </button>
      </div>
    </li>
  )
}
