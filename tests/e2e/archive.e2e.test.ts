import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { runCli } from '../integration/helpers/cli.js'
import { WAIT, createConversation, onboard, person, send, unexpectedErrors, useWorld } from './harness.js'

/**
 * [M31] The web export and its round trip: Alice exports one of her two conversations to an
 * encrypted archive (a browser download holding none of her messages in clear), then opens the
 * file again in the app, read-only; a wrong passphrase is refused; the CLI opens the same file.
 */
const world = useWorld()
const PASS = 'quay seven tide table'
const tag = `WEBARCHIVE${randomBytes(4).toString('hex')}`
const marker = (what: string) => `${tag}-${what}`

async function backToLists(page: Page): Promise<void> {
  const back = page.getByRole('link', { name: 'Back to conversations' })
  if (await back.isVisible()) await back.click()
}

describe('export archive in the app', () => {
  it('[M31] export downloads an encrypted .fcarchive with no marker in clear; opening it shows the messages; a wrong passphrase is M520', async () => {
    const alice = await person(world.browser, 'Alice', `${world.server.url}/`)
    const { page } = alice
    await onboard(page, 'Alice')
    await createConversation(page, 'Dock 4')
    await send(page, marker('crane'))
    await send(page, marker('manifest'))
    await backToLists(page)
    await createConversation(page, 'Yard')
    await send(page, marker('yard-only'))
    await backToLists(page)

    // Export "Dock 4" only; the two passphrases must agree first.
    await page.getByRole('button', { name: 'Export conversations' }).click()
    const form = page.locator('form.export-form')
    await form.getByRole('checkbox', { name: 'Yard' }).uncheck()
    await expect.poll(() => form.getByRole('checkbox', { name: 'Dock 4' }).isChecked(), WAIT).toBe(true)
    await form.getByLabel('Archive passphrase').fill(PASS)
    await form.getByLabel('Passphrase again').fill(`${PASS}!`)
    await form.getByRole('button', { name: 'Export' }).click()
    await form.getByRole('alert').getByText('The two passphrases differ.').waitFor(WAIT)
    await form.getByLabel('Archive passphrase').fill(PASS)
    await form.getByLabel('Passphrase again').fill(PASS)
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: WAIT.timeout }), form.getByRole('button', { name: 'Export' }).click()])
    expect(download.suggestedFilename()).toMatch(/^fieldchat-export-\d{4}-\d{2}-\d{2}\.fcarchive$/)
    const file = join(mkdtempSync(join(tmpdir(), 'fieldchat-web-archive-')), download.suggestedFilename())
    await download.saveAs(file)
    await page.getByRole('status').getByText(/Saved fieldchat-export-.*: 1 conversation, 2 messages/).waitFor(WAIT)

    const bytes = readFileSync(file)
    expect(bytes.subarray(0, 8).toString()).toBe('FCARCHIV')
    for (const needle of [tag, 'Dock 4', 'Alice']) {
      expect(bytes.includes(Buffer.from(needle)), needle).toBe(false)
      expect(bytes.includes(Buffer.from(needle, 'utf16le')), needle).toBe(false)
    }

    // Open it again: a wrong passphrase first, then the right one.
    await page.getByRole('button', { name: 'Open an archive' }).click()
    const open = page.locator('form.archive-form')
    await open.getByLabel('Archive file').setInputFiles(file)
    await open.getByLabel('Archive passphrase').fill('quay seven tide tablE')
    await open.getByRole('button', { name: 'Open' }).click()
    await open.getByRole('alert').getByText('This passphrase does not open the archive').waitFor(WAIT)
    await open.getByLabel('Archive passphrase').fill(PASS)
    await open.getByRole('button', { name: 'Open' }).click()
    const view = page.getByRole('region', { name: 'Archive', exact: true })
    await view.waitFor(WAIT)
    const thread = view.getByRole('region', { name: 'Archived: Dock 4', exact: true })
    await expect.poll(() => thread.getByTestId('archived-text').allTextContents(), WAIT).toEqual([marker('crane'), marker('manifest')])
    expect(await view.getByRole('region', { name: 'Archived: Yard' }).count()).toBe(0)
    expect(await thread.getByText('Alice', { exact: true }).count()).toBe(2)

    // Read-only and apart: the device still has its two conversations, nothing more.
    // ([W9] lists them newest activity first.)
    await expect.poll(async () => (await page.getByRole('navigation', { name: 'Conversations' }).getByRole('link').allTextContents()).sort(), WAIT).toEqual(['Dock 4', 'Yard'])
    await view.getByRole('button', { name: 'Close archive' }).click()
    await expect.poll(() => view.count(), WAIT).toBe(0)

    // The CLI opens the same file, with no device store of its own.
    const home = mkdtempSync(join(tmpdir(), 'fieldchat-web-archive-cli-'))
    const cli = await runCli(['--home', home, '--json', 'open-archive', file], 90_000, { FIELDCHAT_EXPORT_PASSPHRASE: PASS })
    expect(cli.code, cli.stdout + cli.stderr).toBe(0)
    const opened = cli.json<{ by: { name: string }; conversations: { title: string; messages: { text: string }[] }[] }>()
    expect(opened.by.name).toBe('Alice')
    expect(opened.conversations.map((c) => [c.title, c.messages.map((m) => m.text)])).toEqual([['Dock 4', [marker('crane'), marker('manifest')]]])

    expect(unexpectedErrors(alice)).toEqual([])
  }, 240_000)
})
