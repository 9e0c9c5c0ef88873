import { createSignal, type Accessor } from 'solid-js'
import type { ConvId, DeviceId } from '../../../protocol/index.js'
import type { Calls, CallView } from '../../core/calls/calls.js'
import type { Messenger } from '../../core/messenger.js'
import { CallMedia } from './callMedia.js'

/** The call this device is in, with its media; `version` moves whenever anything shown changed. */
export interface ActiveCall {
  readonly conv: ConvId
  readonly view: CallView
  readonly media: CallMedia
  readonly version: number
}

export interface CallsBinding {
  /** Every call heard of, joined or ringing or declined. */
  readonly views: Accessor<CallView[]>
  readonly active: Accessor<ActiveCall | undefined>
  /** Why the last call could not be made or went wrong, for the person to read. */
  readonly problem: Accessor<string | undefined>
  start(conv: ConvId, video: boolean): Promise<void>
  accept(conv: ConvId): Promise<void>
  decline(conv: ConvId): Promise<void>
  hangUp(): Promise<void>
  nameOf(conv: ConvId, device: string): string
  dismissProblem(): void
}

/** TURN credentials are asked for once per call, and not waited for long (loopback and LAN calls need none). */
const TURN_WAIT_MS = 2_000

/**
 * [W32] Calls for the app: the engine's calls (client/core [V3]) as Solid signals, and the media
 * of the one call this device is in (one at a time: starting or accepting another hangs up the
 * first). The media goes when the engine says the call ended for this device, or when the call
 * this device was in gave way to another started at the same moment ([V3]).
 */
export function createCallsBinding(messenger: Messenger): CallsBinding {
  const engine = () => {
    try {
      return messenger.calls
    } catch {
      return undefined
    }
  }
  const [views, setViews] = createSignal<CallView[]>([])
  const [active, setActive] = createSignal<ActiveCall | undefined>()
  const [problem, setProblem] = createSignal<string | undefined>()
  let current: { conv: ConvId; call: string; media: CallMedia } | undefined

  const bump = () => {
    if (!current) return setActive(undefined)
    const view = engine()?.view(current.conv)
    if (!view) return
    const was = active()
    setActive({ conv: current.conv, view, media: current.media, version: (was?.version ?? 0) + 1 })
  }

  const dropMedia = () => {
    current?.media.stop()
    current = undefined
    setActive(undefined)
  }

  const ensureMedia = (view: CallView) => {
    const calls = engine()
    const me = messenger.identity?.deviceId
    if (!calls || !me) return
    if (current && current.conv === view.conv && current.call === view.id) return bump()
    dropMedia()
    const media = new CallMedia({
      calls,
      conv: view.conv,
      call: view.id,
      video: view.video,
      me,
      iceServers: async () => {
        const s = await messenger.turnCredentials(TURN_WAIT_MS)
        return [{ urls: [...s.urls], username: s.username, credential: s.credential }]
      },
      changed: () => bump(),
      problem: (message) => setProblem(message),
    })
    current = { conv: view.conv, call: view.id, media }
    bump()
  }

  const refresh = () => {
    const calls = engine()
    const list = calls?.list() ?? []
    setViews(list)
    const mine = list.find((v) => v.role === 'joined')
    if (!mine) return dropMedia()
    ensureMedia(mine)
  }
  messenger.events.on('calls', (e) => {
    // [V6] A call this device refused says why, visibly.
    if (e.refused) setProblem(`The call in ${messenger.titleOf(e.conv)} was refused: ${e.refused}.`)
    refresh()
  })
  messenger.events.on('wiped', refresh)

  const join = async (conv: ConvId, how: (calls: Calls) => Promise<CallView>) => {
    setProblem(undefined)
    if (current && current.conv !== conv) await hangUp()
    const calls = engine()
    if (!calls) return
    // The engine's `calls` event, during `how`, makes the media (refresh → ensureMedia).
    await how(calls)
    refresh()
  }

  const hangUp = async () => {
    const conv = current?.conv
    dropMedia()
    if (conv) await engine()?.leave(conv)
    refresh()
  }

  return {
    views,
    active,
    problem,
    start: (conv, video) => join(conv, (calls) => calls.start(conv, video)),
    accept: (conv) => join(conv, (calls) => calls.join(conv)),
    decline: async (conv) => {
      await engine()?.decline(conv)
      refresh()
    },
    hangUp,
    nameOf: (conv, device) => messenger.team.deviceNames(conv).get(device as DeviceId) ?? 'Someone',
    dismissProblem: () => setProblem(undefined),
  }
}
