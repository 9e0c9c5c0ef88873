import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { WAIT, launchBrowser, onboard, person, unexpectedErrors, useWorld } from './harness.js'
import { fakeCameraArgs, writeQrVideo } from './fakeCamera.js'
import { createOrganisation, inviteSomeone, joinOrganisation } from './orgSteps.js'

/** [V1] Scanning a colleague's verification QR code with the device's camera (Chromium's fake camera). */
const world = useWorld()

const ORG = 'Dock Four'

describe('verifying a colleague with the camera', () => {
  it('[V1][V2] Bob scans the admin\'s QR code with his camera: the keys match and the admin shows as verified; a code of somebody else is caught', async () => {
    const video = join(mkdtempSync(join(tmpdir(), 'fieldchat-camera-')), 'camera.y4m')
    writeQrVideo(video, 'not a code yet')
    const cameraBrowser = await launchBrowser(fakeCameraArgs(video))
    try {
      const admin = await person(world.browser, 'Admin', `${world.server.url}/`)
      const bob = await person(cameraBrowser, 'Bob', `${world.server.url}/`)
      await onboard(admin.page, 'Admin')
      await createOrganisation(admin.page, ORG)
      await joinOrganisation(bob, await inviteSomeone(admin.page), ORG)
      await bob.page.getByRole('navigation', { name: 'Organisations' }).getByRole('link', { name: ORG, exact: true }).click({ timeout: WAIT.timeout })
      await expect.poll(() => bob.page.getByRole('list', { name: 'People' }).getByRole('listitem').count(), WAIT).toBe(2)

      // The admin shows the QR code; the camera of Bob's phone sees it.
      await admin.page.getByRole('button', { name: 'Verify Bob' }).click({ timeout: WAIT.timeout })
      writeQrVideo(video, await admin.page.getByRole('textbox', { name: 'Your code as text' }).inputValue())
      await bob.page.getByRole('button', { name: 'Verify Admin' }).click()
      await bob.page.getByRole('button', { name: 'Scan Admin\'s code' }).click()
      await bob.page.getByText('Keys match').waitFor(WAIT)
      // The camera is released once the code is read.
      expect(await bob.page.getByRole('button', { name: 'Stop scanning' }).count()).toBe(0)
      // [V2] Remembered: the directory marks the admin verified on Bob's device.
      await bob.page.getByText('You verified Admin.').waitFor(WAIT)
      await bob.page.getByRole('list', { name: 'People' }).getByText('verified', { exact: true }).waitFor(WAIT)

      // A swapped key: the camera shows a valid code that is not the admin's (Bob's own, here).
      writeQrVideo(video, await bob.page.getByRole('textbox', { name: 'Your code as text' }).inputValue())
      await bob.page.getByRole('button', { name: 'Scan Admin\'s code' }).click()
      await bob.page.getByText('Keys do NOT match').waitFor(WAIT)

      expect(JSON.stringify(await bob.page.getByRole('alert').allTextContents())).toBe(JSON.stringify(['Keys do NOT match — do not trust this device']))
      expect([...unexpectedErrors(admin), ...unexpectedErrors(bob)]).toEqual([])
    } finally {
      await cameraBrowser.close()
    }
  }, 240_000)
})
