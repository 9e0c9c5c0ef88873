import type { BrowserContext, Page } from 'playwright-core'

/**
 * Instrumentation of pages in a call, for the calls e2e tests and bench:call (no test framework
 * here): an init script collects the page's RTCPeerConnections in `window.__pcs` (with
 * `relayOnly`, each allows relayed candidates only, as behind a firewall that lets no direct UDP
 * through), and readers of their statistics. Not the app's: it only watches.
 */
export async function watchPeerConnections(context: BrowserContext, opts: { relayOnly?: boolean } = {}): Promise<void> {
  // tsx names functions handed to the page with a helper of its own: the page gets one too.
  await context.addInitScript({ content: 'window.__name = (f) => f' })
  await context.addInitScript((relayOnly: boolean) => {
    const Original = window.RTCPeerConnection
    const seen: RTCPeerConnection[] = []
    ;(window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = seen
    window.RTCPeerConnection = class extends Original {
      constructor(config?: RTCConfiguration) {
        super(relayOnly ? { ...config, iceTransportPolicy: 'relay' } : config)
        seen.push(this)
        // Each link's history, for a failure's message: its states with the seconds since it was made.
        const made = performance.now()
        const history: string[] = []
        ;(this as unknown as { __history: string[] }).__history = history
        const note = () => {
          const at = ((performance.now() - made) / 1000).toFixed(1)
          const now = `${this.connectionState}/${this.iceConnectionState}/${this.signalingState}`
          if (history.at(-1)?.startsWith(`${now}@`)) return
          history.push(`${now}@${at}`)
        }
        this.addEventListener('connectionstatechange', note)
        this.addEventListener('iceconnectionstatechange', note)
        this.addEventListener('signalingstatechange', note)
        const close = this.close.bind(this)
        this.close = () => {
          history.push(`closed@${((performance.now() - made) / 1000).toFixed(1)}`)
          close()
        }
      }
    } as typeof RTCPeerConnection
  }, !!opts.relayOnly)
}

/**
 * The page's camera asked for 320×240 at 15 frames a second (as a phone on a weak link would send):
 * a four-way mesh at Chromium's default 640×480 fills two cores and starves the tests beside it.
 */
export async function smallCamera(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices)
    navigator.mediaDevices.getUserMedia = (c?: MediaStreamConstraints) => open(c?.video === true ? { ...c, video: { width: 320, height: 240, frameRate: 15 } } : c)
  })
}

/**
 * The page's microphone opened without echo cancellation, noise suppression and gain control:
 * each page of a many-page test on one machine runs its own audio processing (AEC3 over the
 * sound it plays, too), for fake devices that have no echo to cancel. The call's code is the same.
 */
export async function plainMicrophone(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices)
    navigator.mediaDevices.getUserMedia = (c?: MediaStreamConstraints) => open(c?.audio === true ? { ...c, audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } } : c)
  })
}

/** Video frames decoded, audio energy and audio packets received over the page's open links, and how many links decode video (more than 5 frames). */
export function received(page: Page): Promise<{ frames: number; energy: number; audioPackets: number; decodingLinks: number }> {
  return page.evaluate(async () => {
    let frames = 0
    let energy = 0
    let audioPackets = 0
    let decodingLinks = 0
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
      if (pc.connectionState === 'closed') continue
      let linkFrames = 0
      ;(await pc.getStats()).forEach((s: { type: string; kind?: string; framesDecoded?: number; totalAudioEnergy?: number; packetsReceived?: number }) => {
        if (s.type !== 'inbound-rtp') return
        if (s.kind === 'video') linkFrames += s.framesDecoded ?? 0
        if (s.kind === 'audio') {
          energy += s.totalAudioEnergy ?? 0
          audioPackets += s.packetsReceived ?? 0
        }
      })
      frames += linkFrames
      if (linkFrames > 5) decodingLinks++
    }
    return { frames, energy, audioPackets, decodingLinks }
  })
}

/** How many of the page's open links receive sound (more than 20 audio packets, some energy). */
export function hearingLinks(page: Page): Promise<number> {
  return page.evaluate(async () => {
    let hearing = 0
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
      if (pc.connectionState === 'closed') continue
      let packets = 0
      let energy = 0
      ;(await pc.getStats()).forEach((s: { type: string; kind?: string; totalAudioEnergy?: number; packetsReceived?: number }) => {
        if (s.type !== 'inbound-rtp' || s.kind !== 'audio') return
        packets += s.packetsReceived ?? 0
        energy += s.totalAudioEnergy ?? 0
      })
      if (packets > 20 && energy > 0) hearing++
    }
    return hearing
  })
}

/**
 * Each link's state and what it received, for a failure's message: which links of a page do not
 * hear (not connected, no packets, or packets that never decode into sound: a missing key).
 */
export function linkStates(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const rows: string[] = []
    for (const [i, pc] of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.entries()) {
      let packets = 0
      let energy = 0
      let decoded = 0
      let sent = 0
      ;(await pc.getStats()).forEach((s: { type: string; kind?: string; totalAudioEnergy?: number; packetsReceived?: number; packetsSent?: number; totalSamplesReceived?: number }) => {
        if (s.type === 'outbound-rtp' && s.kind === 'audio') sent += s.packetsSent ?? 0
        if (s.type !== 'inbound-rtp' || s.kind !== 'audio') return
        packets += s.packetsReceived ?? 0
        energy += s.totalAudioEnergy ?? 0
        decoded += s.totalSamplesReceived ?? 0
      })
      // Each candidate as protocol/type/address kind (mdns: a .local name to resolve; ip4; ip6).
      const candidates = (d: RTCSessionDescription | null) => {
        const found = (d?.sdp.match(/^a=candidate:.*$/gm) ?? []).map((line) => {
          const f = line.split(' ')
          const address = f[4] ?? ''
          return `${(f[2] ?? '').toLowerCase()}/${f[7] ?? ''}/${address.endsWith('.local') ? 'mdns' : address.includes(':') ? 'ip6' : 'ip4'}`
        })
        return `${found.length}${found.length ? ` (${[...new Set(found)].join(' ')})` : ''}`
      }
      const history = (pc as unknown as { __history?: string[] }).__history ?? []
      rows.push(`link ${i}: ${pc.connectionState}/${pc.iceConnectionState}/${pc.signalingState}, candidates ${candidates(pc.localDescription)} here ${candidates(pc.remoteDescription)} there, sent ${sent}, packets ${packets}, samples ${decoded}, energy ${energy.toFixed(4)}; ${history.join(' ')}`)
    }
    return rows.join('\n')
  })
}

/** Open links of the page. */
export const openLinks = (page: Page): Promise<number> => page.evaluate(() => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.filter((pc) => pc.connectionState !== 'closed').length)

/** How many of the page's open links receive sound now: their audio packets grow over 1.5 s (a dead link keeps what it had). */
export function liveLinks(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const packets = async (pc: RTCPeerConnection) => {
      let n = 0
      ;(await pc.getStats()).forEach((s: { type: string; kind?: string; packetsReceived?: number }) => {
        if (s.type === 'inbound-rtp' && s.kind === 'audio') n += s.packetsReceived ?? 0
      })
      return n
    }
    const open = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.filter((pc) => pc.connectionState !== 'closed')
    const before = await Promise.all(open.map(packets))
    await new Promise((r) => setTimeout(r, 1_500))
    const after = await Promise.all(open.map((pc) => (pc.connectionState === 'closed' ? Promise.resolve(0) : packets(pc))))
    return after.filter((n, i) => n > before[i]!).length
  })
}

/** Closes the page's open links behind the app's back: a link that died on this side only (the app is not told). */
export const killLinks = (page: Page): Promise<void> =>
  page.evaluate(() => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.forEach((pc) => pc.connectionState !== 'closed' && pc.close()))

/** The page's first `setRemoteDescription` throws (an SDP its browser could not take): the negotiation of a first link fails. */
export async function failFirstNegotiation(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const original = RTCPeerConnection.prototype.setRemoteDescription
    let failed = false
    RTCPeerConnection.prototype.setRemoteDescription = function (this: RTCPeerConnection, ...args: Parameters<typeof original>) {
      if (!failed) {
        failed = true
        return Promise.reject(new DOMException('test: this description could not be taken', 'OperationError'))
      }
      return original.apply(this, args)
    } as typeof original
  })
}

/**
 * Audio samples per packet received over each of the page's open links in the next `ms`, for the
 * links that received 10 packets or more meanwhile: 960 at Opus's 20 ms (48 kHz), 2,880 at 60 ms.
 * The samples are the decoded ones (played out, less concealed and stretched ones, plus those
 * squeezed out), so neither a starved sender nor a starved playout moves it; counted over a
 * window, not since the link began.
 */
export function samplesPerPacket(page: Page, ms = 3_000): Promise<number[]> {
  return page.evaluate(async (ms: number) => {
    const counts = async (pc: RTCPeerConnection) => {
      let packets = 0
      let samples = 0
      type Inbound = { type: string; kind?: string; packetsReceived?: number; totalSamplesReceived?: number; concealedSamples?: number; insertedSamplesForDeceleration?: number; removedSamplesForAcceleration?: number }
      ;(await pc.getStats()).forEach((s: Inbound) => {
        if (s.type !== 'inbound-rtp' || s.kind !== 'audio') return
        packets += s.packetsReceived ?? 0
        samples += (s.totalSamplesReceived ?? 0) - (s.concealedSamples ?? 0) - (s.insertedSamplesForDeceleration ?? 0) + (s.removedSamplesForAcceleration ?? 0)
      })
      return { packets, samples }
    }
    const open = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.filter((pc) => pc.connectionState !== 'closed')
    const before = await Promise.all(open.map(counts))
    await new Promise((r) => setTimeout(r, ms))
    const after = await Promise.all(open.map(counts))
    const out: number[] = []
    after.forEach((a, i) => {
      const packets = a.packets - before[i]!.packets
      if (packets >= 10) out.push(Math.round((a.samples - before[i]!.samples) / packets))
    })
    return out
  }, ms)
}
