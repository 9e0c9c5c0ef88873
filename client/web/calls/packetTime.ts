/**
 * [W32] Audio packet time in a group call. Each device in a mesh encodes its sound once per link,
 * and every encoded frame crosses the frame transform twice (sealed, opened) and goes as its own
 * SRTP packet: at Opus's default 20 ms, seven links are 350 packets a second each way, whose
 * headers alone (IP, UDP, RTP, SRTP, SFrame: about 60 bytes) cost some 170 kbit/s of a phone's
 * uplink. An SDP sent while the call has more than two people asks for 60 ms packets (`a=ptime`,
 * which the other side's Opus encoder follows): a third of the packets and transform crossings,
 * for 40 ms more delay. A one-to-one call keeps 20 ms (a link made then keeps it until its next
 * offer: an ICE restart or a link made anew).
 */
export const GROUP_PACKET_TIME_MS = 60

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
