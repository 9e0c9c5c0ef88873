/**
 * [W32] Audio packet time in a group call. Each device in a mesh encodes its sound once per link,
 * and every encoded frame crosses the frame transform twice (sealed, opened) and goes as its own
 * SRTP packet: at Opus's default 20 ms, seven links are 350 packets a second each way, whose
 * headers alone (IP, UDP, RTP, SRTP, SFrame: about 60 bytes) cost some 170 kbit/s of a phone's
 * uplink. An SDP sent while the call has more than two people asks for 60 ms packets (`a=ptime`,
 * which the other side's Opus encoder follows): a third of the packets and transform crossings,
 * for 40 ms more delay. A one-to-one call keeps 20 ms. When a call grows past two or shrinks to
 * two, each link's offerer negotiates it again so that both sides ask what the call now needs
 * (callMedia.ts, `keepPacketTime`).
 */
export const GROUP_PACKET_TIME_MS = 60
/** Opus's own packet time, which an SDP without `a=ptime` gets. */
export const DEFAULT_PACKET_TIME_MS = 20

/** `sdp` asking for audio packets of `ms` (its audio section's `a=ptime` set, or added at its end). */
export function askPacketTime(sdp: string, ms: number): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n'
  const lines = sdp.split(eol)
  const start = lines.findIndex((l) => l.startsWith('m=audio '))
  if (start < 0) return sdp
  let end = lines.findIndex((l, i) => i > start && l.startsWith('m='))
  if (end < 0) end = lines.at(-1) === '' ? lines.length - 1 : lines.length
  const section = lines.slice(start, end).filter((l) => !l.startsWith('a=ptime:'))
  return [...lines.slice(0, start), ...section, `a=ptime:${ms}`, ...lines.slice(end)].join(eol)
}

/** The audio packet time `sdp` asks for (its audio section's `a=ptime`; Opus's 20 ms when it names none or none that parses). */
export function packetTimeOf(sdp: string | undefined): number {
  if (!sdp) return DEFAULT_PACKET_TIME_MS
  const lines = sdp.split(/\r?\n/)
  const start = lines.findIndex((l) => l.startsWith('m=audio '))
  if (start < 0) return DEFAULT_PACKET_TIME_MS
  for (let i = start + 1; i < lines.length && !lines[i]!.startsWith('m='); i++) {
    const m = /^a=ptime:(\d{1,4})$/.exec(lines[i]!.trim())
    if (m) return Number(m[1])
  }
  return DEFAULT_PACKET_TIME_MS
}
