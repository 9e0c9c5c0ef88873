import { createHash, X509Certificate } from 'node:crypto'
import { resolve } from 'node:path'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../integration/helpers/serverProcess.js'
import { makeTestCert, opensslMissing, startTlsServerProcess, type TlsServerProcess } from '../integration/helpers/tlsServer.js'
import { assertBuilt, createConversation, ensureServiceWorkerControls, inviteLink, joinConversation, launchBrowser, onboard, person, send, settledTexts, unexpectedErrors, WAIT } from './harness.js'

/**
 * Phones on the LAN, in Chromium against the built PWA served over HTTPS by the server itself
 * ([S41]) with a public URL ([S42]): the admin's browser is on https://localhost:<port>, yet the
 * invitation link it makes points at https://chat.example.local:<port>; Bob's browser (the phone)
 * opens that link, is a secure context with the service worker in control, joins and chats over
 * WSS. Chromium trusts the test certificate by its key's hash; chat.example.local resolves to
 * 127.0.0.1 inside that browser only.
 */
const missing = opensslMissing()
if (missing) console.warn(`lan.e2e: ${missing}`)
// FIELDCHAT_E2E_DIST: a build elsewhere (vite build --outDir …), so this file runs beside another build of dist/.
const DIST = process.env.FIELDCHAT_E2E_DIST ?? resolve(import.meta.dirname, '../../dist')

describe.skipIf(missing !== undefined)('[S41][S42] the PWA over HTTPS with a public URL', () => {
  let server: TlsServerProcess
  let browser: Browser
  let publicUrl: string
  beforeAll(async () => {
    if (!process.env.FIELDCHAT_E2E_DIST) assertBuilt()
    const cert = makeTestCert(undefined, 'server', 'DNS:localhost,DNS:chat.example.local,IP:127.0.0.1')
    const spki = createHash('sha256').update(new X509Certificate(cert.cert).publicKey.export({ type: 'spki', format: 'der' })).digest('base64')
    // The public URL names the port the server will get: one free port, given to both.
    const port = await freePort()
    publicUrl = `https://chat.example.local:${port}`
    server = await startTlsServerProcess(cert, ['--tls-cert', cert.certFile, '--tls-key', cert.keyFile, '--public-url', publicUrl], { staticDir: DIST, port })
    browser = await launchBrowser([`--ignore-certificate-errors-spki-list=${spki}`, '--host-resolver-rules=MAP chat.example.local 127.0.0.1'])
  }, 90_000)
  afterAll(async () => {
    await browser?.close()
    await server?.kill()
  })

  it('the admin on https://localhost makes a link on the public URL; Bob opens it, joins and chats over wss://', async () => {
    const admin = await person(browser, 'Admin', `https://localhost:${server.port}/`)
    expect(await admin.page.evaluate(() => isSecureContext)).toBe(true)
    await onboard(admin.page, 'Admin')
    await createConversation(admin.page, 'Night shift')
    const link = await inviteLink(admin.page)
    expect(link).toMatch(new RegExp(`^${publicUrl.replace(/\./g, '\\.')}/#org=[A-Za-z0-9_-]+$`))
    // The QR code shows the same link.
    await admin.page.getByRole('img', { name: 'QR code of the invitation link' }).waitFor()

    const bob = await person(browser, 'Bob', `${publicUrl}/`)
    expect(await bob.page.evaluate(() => [isSecureContext, location.origin])).toEqual([true, publicUrl])
    await ensureServiceWorkerControls(bob.page)
    await joinConversation(bob, link, 'Night shift')
    await send(bob.page, 'on site at gate 4')
    await expect.poll(() => settledTexts(admin), WAIT).toContain('on site at gate 4')
    expect([...unexpectedErrors(admin), ...unexpectedErrors(bob)]).toEqual([])
  }, 180_000)
})
