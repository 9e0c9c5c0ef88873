import { createEffect, createSignal, For, onCleanup, Show } from 'solid-js'
import type { ActiveCall, CallsBinding } from './callsBinding.js'
import type { PeerState } from './callMedia.js'
import { callDuration } from './duration.js'

const STATE_TEXT: Record<PeerState, string> = { connecting: 'connecting…', connected: '', reconnecting: 'reconnecting…', failed: 'connection lost' }

function Video(props: { stream: MediaStream | undefined; muted?: boolean; label: string; remote?: boolean }) {
  return (
    <video
      ref={(el) => createEffect(() => void (el.srcObject !== (props.stream ?? null) && (el.srcObject = props.stream ?? null)))}
      autoplay
      playsinline
      muted={props.muted}
      aria-label={props.label}
      data-remote={props.remote ? '' : undefined}
    />
  )
}

/**
 * [W32] The call this device is in: the others' video (or their names, in a voice call), this
 * device's own picture, how long it has lasted, each link's state ("reconnecting…"), and mute,
 * camera, switch camera, share screen and hang up.
 */
export function CallPanel(props: { calls: CallsBinding; active: ActiveCall; title: string }) {
  const [now, setNow] = createSignal(Date.now())
  const timer = setInterval(() => setNow(Date.now()), 1000)
  onCleanup(() => clearInterval(timer))
  const a = () => props.active
  const media = () => a().media
  // Read `version` so that everything below follows the media's changes. Tiles are keyed by
  // device: a change of state or stream updates a tile, never re-creates its video.
  const peers = () => (a().version, media().peerList)
  const devices = () => peers().map((p) => p.device)
  const peerOf = (device: string) => peers().find((p) => p.device === device)
  const [cameras, setCameras] = createSignal(0)
  void navigator.mediaDevices?.enumerateDevices?.().then((d) => setCameras(d.filter((x) => x.kind === 'videoinput').length), () => undefined)
  let cameraAt = 0
  const [sharing, setSharing] = createSignal(false)
  const canShare = () => typeof navigator.mediaDevices?.getDisplayMedia === 'function' && !matchMedia('(pointer: coarse)').matches

  const switchCamera = async () => {
    const list = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput')
    if (list.length < 2) return
    cameraAt = (cameraAt + 1) % list.length
    const stream = await navigator.mediaDevices.getUserMedia({ video: { deviceId: { exact: list[cameraAt]!.deviceId } } })
    await media().replaceVideo(stream.getVideoTracks()[0]!)
  }
  const toggleShare = async () => {
    if (sharing()) {
      const stream = await navigator.mediaDevices.getUserMedia({ video: true })
      await media().replaceVideo(stream.getVideoTracks()[0]!)
      setSharing(false)
      return
    }
    const screen = await navigator.mediaDevices.getDisplayMedia({ video: true })
    const track = screen.getVideoTracks()[0]!
    track.addEventListener('ended', () => sharing() && void toggleShare())
    await media().replaceVideo(track)
    setSharing(true)
  }
  const run = (work: () => Promise<void>) => () => void work().catch(() => undefined)
  // Minimised: the call goes on in a small bar while the person reads and writes.
  const [small, setSmall] = createSignal(false)

  return (
    <section class="call-panel" classList={{ minimised: small() }} aria-label={`Call in ${props.title}`}>
      <header class="call-head">
        <span class="call-title">{props.title}</span>
        <span class="call-time" role="timer" aria-label="Call duration">
          <Show when={peers().length} fallback={a().view.peers.length ? 'connecting…' : 'ringing…'}>
            {callDuration(now() - (a().view.joinedAt ?? now()))}
          </Show>
        </span>
        <button type="button" class="small-button" aria-expanded={!small()} onClick={() => setSmall((v) => !v)}>
          {small() ? 'Show call' : 'Minimise'}
        </button>
        <Show when={small()}>
          <button type="button" class="small-button danger" onClick={() => void props.calls.hangUp()}>
            Hang up
          </button>
        </Show>
      </header>
      <Show when={!small()}>
      <ul class="call-tiles" aria-label="People in the call">
        <For each={devices()}>
          {(device) => {
            const name = () => props.calls.nameOf(a().conv, device)
            const stream = () => peerOf(device)?.stream
            return (
              <li class="call-tile" data-state={peerOf(device)?.state}>
                <Show when={a().view.video} fallback={<span class="call-avatar" aria-hidden="true">{name().slice(0, 1)}</span>}>
                  <Video stream={stream()} label={`Video of ${name()}`} remote />
                </Show>
                <Show when={!a().view.video}>
                  <audio ref={(el) => createEffect(() => void (el.srcObject !== (stream() ?? null) && (el.srcObject = stream() ?? null)))} autoplay />
                </Show>
                <span class="call-name">
                  {name()} <span class="muted">{STATE_TEXT[peerOf(device)?.state ?? 'connecting']}</span>
                  <Show when={peerOf(device)?.state === 'connected' && peerOf(device)?.quality}>
                    {(q) => (
                      <span class="call-quality" data-quality={q()} role="img" aria-label={`Network: ${q()}`} title={`Network: ${q()}`}>
                        {q() === 'good' ? '▂▄▆' : q() === 'fair' ? '▂▄' : '▂'}
                      </span>
                    )}
                  </Show>
                </span>
              </li>
            )
          }}
        </For>
      </ul>
      <Show when={a().view.video}>
        <div class="call-self">
          <Video stream={(a().version, media().localStream)} muted label="Your camera" />
        </div>
      </Show>
      <div class="call-controls" role="group" aria-label="Call controls">
        <button type="button" class="small-button" aria-pressed={(a().version, media().muted)} onClick={() => media().setMuted(!media().muted)}>
          {(a().version, media().muted) ? 'Unmute' : 'Mute'}
        </button>
        <Show when={a().view.video}>
          <button type="button" class="small-button" aria-pressed={(a().version, media().cameraOff)} onClick={() => media().setCameraOff(!media().cameraOff)}>
            {(a().version, media().cameraOff) ? 'Camera on' : 'Camera off'}
          </button>
          <Show when={cameras() > 1}>
            <button type="button" class="small-button" onClick={run(switchCamera)}>
              Switch camera
            </button>
          </Show>
          <Show when={canShare()}>
            <button type="button" class="small-button" aria-pressed={sharing()} onClick={run(toggleShare)}>
              {sharing() ? 'Stop sharing' : 'Share screen'}
            </button>
          </Show>
        </Show>
        <button type="button" class="small-button danger" onClick={() => void props.calls.hangUp()}>
          Hang up
        </button>
      </div>
      </Show>
    </section>
  )
}
