import { afterAll, beforeAll, expect, test } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { generateDeviceKeys, turnCredential } from '../../crypto/index.js'
import { startServerProcess, type ServerProcess } from '../integration/helpers/serverProcess.js'
import { ProtocolSocket } from '../integration/helpers/protocolSocket.js'
import { describeWithCoturn, startCoturn, type Coturn } from '../helpers/coturn.js'
import { launchBrowser } from './harness.js'

/**
 * [S55][X1] The credentials the sync server hands out work at a real coturn (Debian's, run as the
 * README's recipe does, `use-auth-secret`): Chromium, limited to relayed candidates, gets a relay
 * address with them; with a wrong password, or an expired one, it gets none.
 */
const SECRET = 'field-depot-turn-secret-e2e'
let coturn: Coturn
let server: ServerProcess
let browser: Browser
let page: Page

interface IceServer { urls: string[]; username: string; credential: string }

/** Candidates Chromium gathers through `ice` when only relayed ones are allowed. */
function relayCandidates(p: Page, ice: IceServer): Promise<string[]> {
  return p.evaluate(async (server) => {
    const pc = new RTCPeerConnection({ iceServers: [server], iceTransportPolicy: 'relay' })
    const found: string[] = []
    pc.onicecandidate = (e) => {
      if (e.candidate?.candidate) found.push(e.candidate.candidate)
    }
    pc.createDataChannel('probe')
    await pc.setLocalDescription(await pc.createOffer())
    await new Promise<void>((resolve) => {
      const done = () => pc.iceGatheringState === 'complete' && resolve()
      pc.onicegatheringstatechange = done
      done()
      setTimeout(resolve, 20_000)
    })
    pc.close()
    return found
  }, ice)
}

describeWithCoturn('[S55] TURN through a real coturn', () => {
  beforeAll(async () => {
    coturn = await startCoturn(SECRET)
    ;[server, browser] = await Promise.all([startServerProcess({ env: { TURN_URL: coturn.url, TURN_SECRET: SECRET } }), launchBrowser()])
    page = await browser.newPage()
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await server?.kill()
    await coturn?.stop()
  })

  test('[S55][X1] the server\'s credentials get a relay address from coturn; a wrong or an expired password gets none', async () => {
    const { socket, nonce } = await ProtocolSocket.open(server.url)
    await socket.hello(generateDeviceKeys(), nonce)
    socket.send({ type: 'turn' })
    const c = await socket.take('turn-credentials')
    socket.close()
    const good = await relayCandidates(page, { urls: c.urls, username: c.username, credential: c.credential })
    expect(good.some((x) => / typ relay /.test(x) && x.includes('127.0.0.1')), good.join('\n')).toBe(true)

    // One character of the password changed (the last one before the padding carries only two
    // bits, so replacing it could give the same password back: that made this test fail 1 in 4).
    const wrongPassword = `${c.credential[0] === 'A' ? 'B' : 'A'}${c.credential.slice(1)}`
    expect(wrongPassword).not.toBe(c.credential)
    const wrong = await relayCandidates(page, { urls: c.urls, username: c.username, credential: wrongPassword })
    expect(wrong.filter((x) => / typ relay /.test(x))).toEqual([])
    const old = turnCredential(SECRET, Math.floor(Date.now() / 1000) - 60)
    const expired = await relayCandidates(page, { urls: c.urls, username: old.username, credential: old.credential })
    expect(expired.filter((x) => / typ relay /.test(x))).toEqual([])
  }, 120_000)
})
