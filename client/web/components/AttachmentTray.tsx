import { For, Match, Show, Switch } from 'solid-js'
import { thumbUrl } from '../files/canvas.js'
import { formatBytes, formatDuration, typeLabel } from '../files/format.js'
import { reasonsText, type TrayItem, type UploadsBinding } from '../files/uploadBinding.js'

/**
 * [W3][W8] Files chosen but not sent: each with its thumbnail, name and size, its check result,
 * Remove, and for photos Standard/HD and "Keep location and camera data" (off by default). A
 * blocked file cannot be sent; a warned one needs "Send anyway" first.
 */
export function AttachmentTray(props: { uploads: UploadsBinding }) {
  return (
    <ul class="tray" aria-label="Files to send">
      <For each={props.uploads.tray()}>{(item) => <TrayRow item={item} uploads={props.uploads} />}</For>
    </ul>
  )
}

function TrayRow(props: { item: TrayItem; uploads: UploadsBinding }) {
  const item = () => props.item
  const u = () => props.uploads
  const name = () => item().file.name
  const group = () => `photo-${item().id}`
  return (
    <li class="tray-item" aria-label={name()}>
      <div class="tray-head">
        <Show when={item().preview?.thumb} fallback={<span class="file-icon" aria-hidden="true">{item().kind === 'video' ? '▶' : typeLabel(item().file.type, name())}</span>}>
          {(thumb) => <img class="tray-thumb" src={thumbUrl(thumb())} alt={`Preview of ${name()}`} />}
        </Show>
        <div class="tray-info">
          <span class="file-name">{name()}</span>
          <span class="muted small">
            {formatBytes(item().file.size)}
            <Show when={item().preview?.duration}>{(d) => ` · ${formatDuration(d())}`}</Show>
          </span>
        </div>
        <button type="button" class="small-button" onClick={() => u().remove(item().id)} aria-label={`Remove ${name()}`}>
          Remove
        </button>
      </div>
      <Switch>
        <Match when={item().problem}>{(text) => <p class="file-verdict block" role="alert">Not sent: {text()}</p>}</Match>
        <Match when={!item().verdict}>
          <p class="muted small">Checking…</p>
        </Match>
        <Match when={item().verdict?.level === 'block'}>
          <p class="file-verdict block" role="alert">
            Blocked, not sent: {reasonsText(item().verdict!)}
          </p>
        </Match>
        <Match when={item().verdict?.level === 'warn' && !item().confirmed}>
          <div class="file-verdict warn" role="alert">
            <p>Warning: {reasonsText(item().verdict!)}</p>
            <button type="button" class="small-button" onClick={() => u().confirm(item().id)}>
              Send anyway<span class="visually-hidden"> {name()}</span>
            </button>
          </div>
        </Match>
      </Switch>
      <Show when={item().kind === 'photo'}>
        <fieldset class="photo-options">
          <legend class="visually-hidden">Photo quality for {name()}</legend>
          <label class="choice">
            <input type="radio" name={group()} checked={item().options.quality === 'standard'} onChange={() => u().setOptions(item().id, { ...item().options, quality: 'standard' })} />
            Standard
          </label>
          <label class="choice">
            <input type="radio" name={group()} checked={item().options.quality === 'hd'} onChange={() => u().setOptions(item().id, { ...item().options, quality: 'hd' })} />
            HD
          </label>
          <label class="choice">
            <input type="checkbox" checked={item().options.keepMetadata} onChange={(e) => u().setOptions(item().id, { ...item().options, keepMetadata: e.currentTarget.checked })} />
            Keep location and camera data
          </label>
        </fieldset>
      </Show>
    </li>
  )
}
