import type { NetworkInterfaceInfo } from 'node:os'
import type { PublicOrigin } from './publicUrl.js'

/**
 * [S43] What `npm start` tells the person starting it to open. A wildcard host (0.0.0.0, ::)
 * listens on every interface, so each non-internal address a phone could reach is listed;
 * 0.0.0.0 is IPv4 only, :: takes both. IPv6 link-local addresses are left out: a browser cannot
 * open a URL with a zone id. Pure, so the list is tested without a network.
 */
export interface OpenUrlsInput {
  readonly scheme: 'http' | 'https'
  readonly host: string
  readonly port: number
  readonly publicUrl?: PublicOrigin
  readonly interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>
}

export interface OpenUrls {
  /** This machine: localhost for a loopback or wildcard host, else the host itself. */
  readonly local: string
  /** Addresses of this machine on its networks (wildcard hosts only). */
  readonly network: readonly string[]
  readonly publicUrl?: PublicOrigin
}

const WILDCARD = new Set(['0.0.0.0', '::', '[::]'])

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

export function openUrls(input: OpenUrlsInput): OpenUrls {
  const at = (host: string) => `${input.scheme}://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${input.port}`
  const wildcard = WILDCARD.has(input.host)
  const local = at(wildcard || isLoopbackHost(input.host) ? 'localhost' : input.host)
  const network: string[] = []
  if (wildcard) {
    const v6 = input.host !== '0.0.0.0'
    for (const list of Object.values(input.interfaces)) {
      for (const a of list ?? []) {
        if (a.internal) continue
        if (a.family === 'IPv4' || (v6 && a.family === 'IPv6' && !a.address.toLowerCase().startsWith('fe80:'))) network.push(at(a.address))
      }
    }
  }
  return { local, network: [...new Set(network)], ...(input.publicUrl ? { publicUrl: input.publicUrl } : {}) }
}

/** The lines printed at start, the warning last. */
export function describeOpenUrls(urls: OpenUrls, warning: string | undefined): string {
  const lines = [`fieldchat is running at ${urls.local}`]
  for (const url of urls.network) lines.push(`  on this network: ${url}`)
  if (urls.publicUrl) lines.push(`  public URL (invitation links and QR codes): ${urls.publicUrl}`)
  if (warning) lines.push(warning)
  return lines.join('\n')
}

/**
 * A phone needs a secure context to install the PWA, run its service worker (offline start) and
 * use the camera (QR scanning) and WebCrypto: http:// is one only on the phone's own localhost. Warned when the server is reachable from
 * other machines and neither serves TLS nor names an https address in front of it.
 */
export function lanWarning(host: string, tls: boolean, publicUrl: PublicOrigin | undefined): string | undefined {
  if (isLoopbackHost(host) || tls || publicUrl?.startsWith('https:')) return undefined
  return 'phones need https: a browser opening this server by a network address over plain http cannot install the app, start it offline, or scan QR codes. ' +
    'Start with --tls-cert and --tls-key, or put a TLS proxy in front and give its address with --public-url https://… (README: "Phones on the LAN").'
}
