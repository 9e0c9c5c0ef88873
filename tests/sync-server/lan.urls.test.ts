import type { NetworkInterfaceInfo } from 'node:os'
import { describe, expect, test } from 'vitest'
import { describeOpenUrls, lanWarning, openUrls } from '../../sync-server/openUrls.js'
import { parsePublicUrl, PublicUrlError } from '../../sync-server/publicUrl.js'

/**
 * What `npm start` prints ([S43]) and which public URLs it takes ([S40]), without a network: the
 * machine's interfaces are given as os.networkInterfaces() shapes them.
 */
const nic = (address: string, family: 'IPv4' | 'IPv6', internal = false): NetworkInterfaceInfo =>
  family === 'IPv4'
    ? { address, family, internal, netmask: '255.255.255.0', mac: '00:00:00:00:00:00', cidr: null }
    : { address, family, internal, netmask: 'ffff:ffff:ffff:ffff::', mac: '00:00:00:00:00:00', cidr: null, scopeid: address.startsWith('fe80') ? 2 : 0 }
const machine = {
  lo: [nic('127.0.0.1', 'IPv4', true), nic('::1', 'IPv6', true)],
  wlan0: [nic('192.168.1.20', 'IPv4'), nic('fd00::20', 'IPv6'), nic('fe80::1c2a:3bff:fe4d:5e6f', 'IPv6')],
  eth0: [nic('10.0.0.7', 'IPv4')],
}
const publicUrl = parsePublicUrl('https://chat.example.local')

describe('[S43] the URLs to open', () => {
  test('0.0.0.0: localhost and every non-internal IPv4 address of the machine', () => {
    expect(openUrls({ scheme: 'https', host: '0.0.0.0', port: 8787, interfaces: machine })).toEqual({
      local: 'https://localhost:8787',
      network: ['https://192.168.1.20:8787', 'https://10.0.0.7:8787'],
    })
  })

  test(':: adds the IPv6 addresses a browser can open (bracketed; no link-local, which needs a zone id)', () => {
    expect(openUrls({ scheme: 'http', host: '::', port: 8787, interfaces: machine }).network).toEqual(['http://192.168.1.20:8787', 'http://[fd00::20]:8787', 'http://10.0.0.7:8787'])
  })

  test('a loopback host is localhost only; a named host is itself; the public URL is listed when set', () => {
    expect(openUrls({ scheme: 'http', host: '127.0.0.1', port: 8787, interfaces: machine })).toEqual({ local: 'http://localhost:8787', network: [] })
    expect(openUrls({ scheme: 'https', host: '192.168.1.20', port: 443, interfaces: machine, publicUrl })).toEqual({ local: 'https://192.168.1.20:443', network: [], publicUrl })
    const text = describeOpenUrls(openUrls({ scheme: 'https', host: '0.0.0.0', port: 8787, interfaces: machine, publicUrl }), undefined)
    expect(text.split('\n')).toEqual([
      'fieldchat is running at https://localhost:8787',
      '  on this network: https://192.168.1.20:8787',
      '  on this network: https://10.0.0.7:8787',
      '  public URL (invitation links and QR codes): https://chat.example.local',
    ])
  })

  test('"phones need https" when reachable from the network with neither TLS nor an https public URL', () => {
    expect(lanWarning('0.0.0.0', false, undefined)).toMatch(/^phones need https: /)
    expect(lanWarning('192.168.1.20', false, parsePublicUrl('http://chat.example.local'))).toMatch(/^phones need https: /)
    expect(lanWarning('0.0.0.0', true, undefined)).toBeUndefined()
    expect(lanWarning('::', false, publicUrl)).toBeUndefined()
    for (const host of ['127.0.0.1', '127.0.1.1', 'localhost', '::1']) expect(lanWarning(host, false, undefined), host).toBeUndefined()
  })
})

describe('[S40] the public URL', () => {
  test('an http(s) origin is taken, as its origin (default port and trailing slash dropped, host lower-cased)', () => {
    expect(parsePublicUrl('https://chat.example.local')).toBe('https://chat.example.local')
    expect(parsePublicUrl('https://Chat.Example.Local:443/')).toBe('https://chat.example.local')
    expect(parsePublicUrl('https://chat.example.local:8443')).toBe('https://chat.example.local:8443')
    expect(parsePublicUrl('http://192.168.1.20:8787')).toBe('http://192.168.1.20:8787')
    expect(parsePublicUrl('https://[fd00::20]:8443')).toBe('https://[fd00::20]:8443')
  })

  test.each([
    ['chat.example.local', 'not a URL'],
    ['ws://chat.example.local', 'must start with https:// or http://'],
    ['https://chat.example.local/fieldchat', 'must not have a path'],
    ['https://chat.example.local/?', 'must not have a query'],
    ['https://chat.example.local/#', 'must not have a fragment'],
    ['https://user@chat.example.local', 'user name or password'],
  ])('S140_PUBLIC_URL for %s', (text, reason) => {
    let caught: unknown
    try {
      parsePublicUrl(text)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(PublicUrlError)
    expect((caught as PublicUrlError).code).toBe('S140_PUBLIC_URL')
    expect((caught as PublicUrlError).message).toContain(reason)
  })
})
