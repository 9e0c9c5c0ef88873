import { For, Match, Show, Switch, type Accessor } from 'solid-js'
import type { FileScan } from '../../core/messenger.js'
import { verdictText } from '../../core/scanner/verdict.js'
import type { FileRef } from '../../core/files/ref.js'
import { thumbUrl } from '../files/canvas.js'
import type { DownloadsBinding, Transfer } from '../files/downloadBinding.js'
import { formatBytes, formatDuration, percent, typeLabel } from '../files/format.js'
import { mediaKind } from '../files/media.js'
import { ProgressBar } from './ProgressBar.js'

/**
 * [W6][W7][W8] A message's files. Photos: the thumbnail at once (it came inside the message);
 * "Open" downloads, checks and shows it full size. Videos: "Play" streams it while it downloads.
 * Other files: name, type, size and "Save". A warned file needs "Open anyway" / "Save anyway";
 * a blocked one says why and is not opened.
 */
export function MessageFiles(props: { files: readonly FileRef[]; downloads: DownloadsBinding; scans?: Accessor<ReadonlyMap<string, FileScan>> }) {
  return (
    <ul class="message-files" aria-label="Files">
      <For each={props.files}>
        {(ref) => (
          <li class="message-file">
            <Switch fallback={<OtherFile file={ref} downloads={props.downloads} />}>
              <Match when={mediaKind(ref) === 'photo' || (ref.type.startsWith('image/') && ref.thumb)}>
                <PhotoFile file={ref} downloads={props.downloads} />
              </Match>
              <Match when={mediaKind(ref) === 'video'}>
                <VideoFile file={ref} downloads={props.downloads} />
              </Match>
            </Switch>
            <ScanNote file={ref} scans={props.scans} />
          </li>
        )}
      </For>
    </ul>
  )
}

type FileProps = { file: FileRef; downloads: DownloadsBinding }

function PhotoFile(props: FileProps) {
  const t = () => props.downloads.download(props.file)
  return (
    <figure class="photo">
      <Show
        when={t().state === 'ready' && t().url}
        fallback={
          <Show when={props.file.thumb} fallback={<p class="file-name">{props.file.name}</p>}>
            {(thumb) => <img class="photo-thumb" src={thumbUrl(thumb())} alt={`Photo ${props.file.name}`} width={props.file.width} height={props.file.height} />}
          </Show>
        }
      >
        {(url) => <img class="photo-full" src={url()} alt={`Photo ${props.file.name}, full size`} />}
      </Show>
      <figcaption class="muted small">
        {props.file.width && props.file.height ? `${props.file.width}×${props.file.height} · ` : ''}
        {formatBytes(props.file.size)}
      </figcaption>
      <Progress t={t()} file={props.file} verb="Download" downloads={props.downloads} />
      <Verdict t={t()} file={props.file} downloads={props.downloads} anyway="Open anyway" />
      <div class="file-actions">
        <Show when={t().state === 'idle' || t().state === 'failed'}>
          <button type="button" class="small-button" onClick={() => props.downloads.open(props.file)}>
            {t().state === 'failed' ? 'Retry' : 'Open'}
            <span class="visually-hidden"> {props.file.name}</span>
          </button>
        </Show>
        <Show when={t().state === 'ready'}>
          <button type="button" class="small-button" onClick={() => props.downloads.save(props.file)}>
            Save<span class="visually-hidden"> {props.file.name}</span>
          </button>
        </Show>
      </div>
    </figure>
  )
}

function VideoFile(props: FileProps) {
  const s = () => props.downloads.stream(props.file)
  const d = () => props.downloads.download(props.file)
  /** The stream once allowed; else (no service worker) the finished download. */
  const src = () => (s().state === 'ready' ? s().url : d().state === 'ready' ? d().url : undefined)
  const shown = () => (s().state !== 'idle' ? s() : d())
  return (
    <figure class="video">
      <Show
        when={src()}
        fallback={
          <Show when={props.file.thumb}>{(thumb) => <img class="photo-thumb" src={thumbUrl(thumb())} alt={`Video ${props.file.name}`} width={props.file.width} height={props.file.height} />}</Show>
        }
      >
        {(url) => <video class="video-player" ref={startPlaying} src={url()} controls playsinline aria-label={`Video ${props.file.name}`} />}
      </Show>
      <figcaption class="muted small">
        {props.file.name} · {formatBytes(props.file.size)}
        {props.file.duration ? ` · ${formatDuration(props.file.duration)}` : ''}
      </figcaption>
      <Progress t={d()} file={props.file} verb="Download" downloads={props.downloads} />
      <Verdict t={shown()} file={props.file} downloads={props.downloads} anyway="Play anyway" />
      <div class="file-actions">
        <Show when={!src() && (shown().state === 'idle' || shown().state === 'failed')}>
          <button type="button" class="small-button" onClick={() => props.downloads.play(props.file)}>
            {shown().state === 'failed' ? 'Retry' : 'Play'}
            <span class="visually-hidden"> {props.file.name}</span>
          </button>
        </Show>
        <Show when={s().state === 'checking' || d().state === 'checking'}>
          <span class="muted small">Checking…</span>
        </Show>
        <Show when={d().state !== 'downloading' && d().state !== 'checking' && d().state !== 'blocked'}>
          <button type="button" class="small-button" onClick={() => props.downloads.save(props.file)}>
            Save<span class="visually-hidden"> {props.file.name}</span>
          </button>
        </Show>
      </div>
    </figure>
  )
}

/** The person pressed Play: it plays at once; where the browser wants a gesture for sound, it starts muted (the controls unmute). */
function startPlaying(video: HTMLVideoElement): void {
  video.addEventListener(
    'loadedmetadata',
    () =>
      void video.play().catch(() => {
        video.muted = true
        video.play().catch(() => undefined)
      }),
    { once: true },
  )
}

function OtherFile(props: FileProps) {
  const t = () => props.downloads.download(props.file)
  return (
    <div class="other-file">
      <div class="tray-head">
        <span class="file-icon" aria-hidden="true">
          {typeLabel(props.file.type, props.file.name)}
        </span>
        <div class="tray-info">
          <span class="file-name">{props.file.name}</span>
          <span class="muted small">
            {typeLabel(props.file.type, props.file.name)} · {formatBytes(props.file.size)}
          </span>
        </div>
        <Show when={t().state !== 'downloading' && t().state !== 'checking' && t().state !== 'blocked' && t().state !== 'warned'}>
          <button type="button" class="small-button" onClick={() => props.downloads.save(props.file)}>
            {t().state === 'failed' ? 'Retry' : 'Save'}
            <span class="visually-hidden"> {props.file.name}</span>
          </button>
        </Show>
      </div>
      <Progress t={t()} file={props.file} verb="Download" downloads={props.downloads} />
      <Verdict t={t()} file={props.file} downloads={props.downloads} anyway="Save anyway" />
    </div>
  )
}

function Progress(props: { t: Transfer; file: FileRef; verb: string; downloads: DownloadsBinding }) {
  return (
    <Show when={props.t.state === 'downloading'}>
      <div class="file-progress">
        <ProgressBar label={`${props.verb} of ${props.file.name}`} value={percent(props.t.received, props.file.size)} />
        <div class="file-actions">
          <span class="muted small">
            {formatBytes(props.t.received)} of {formatBytes(props.file.size)}
          </span>
          <button type="button" class="small-button" onClick={() => props.downloads.cancel(props.file)}>
            Cancel<span class="visually-hidden"> download of {props.file.name}</span>
          </button>
        </div>
      </div>
    </Show>
  )
}

function Verdict(props: { t: Transfer; file: FileRef; downloads: DownloadsBinding; anyway: string }) {
  return (
    <Switch>
      <Match when={props.t.state === 'blocked'}>
        <p class="file-verdict block" role="alert">
          Blocked, not opened: {props.t.reasons}
        </p>
      </Match>
      <Match when={props.t.state === 'warned'}>
        <div class="file-verdict warn" role="alert">
          <p>Warning: {props.t.reasons}</p>
          <button type="button" class="small-button" onClick={() => props.downloads.allow(props.file)}>
            {props.anyway}
            <span class="visually-hidden"> {props.file.name}</span>
          </button>
        </div>
      </Match>
      <Match when={props.t.state === 'failed'}>
        <p class="file-verdict block" role="alert">
          {props.t.error}
        </p>
      </Match>
    </Switch>
  )
}

/**
 * [A4] The organisation scanner's verdict beside a file: "Checked by Acme scanner: clean" or
 * "…: infected: Eicar-Test-Signature" — only one about this very content (same SHA-256).
 */
function ScanNote(props: { file: FileRef; scans?: Accessor<ReadonlyMap<string, FileScan>> }) {
  const scan = () => {
    const s = props.scans?.().get(props.file.blob)
    return s && s.sha256 === props.file.sha256 ? s : undefined
  }
  return (
    <Show when={scan()}>
      {(s) => (
        <p class="scan-note small" classList={{ 'scan-infected': s().result === 'infected' }} role="note">
          {s().result === 'infected' ? 'Warning: ' : ''}Checked by {s().scanner}: {verdictText(s())}
        </p>
      )}
    </Show>
  )
}
