import { renderUnicodeCompact } from 'uqr'
import { Messenger } from '../core/messenger.js'
import type { MessengerOptions } from '../core/messengerTypes.js'
import type { Command } from './context.js'
import { usageError } from './errors.js'
import { iso, result, type Result } from './output.js'
import { waitForDelivery } from './wait.js'

const keyBlock = (text: string) =>
  `${text}\n\n${renderUnicodeCompact(text, { ecc: 'M', border: 2 })}\nWrite this recovery key down or keep it in a password manager: it is shown once, never stored here, and with it (and only with it) your profile and history come back on a new device (\`recover\`).`

/** `recovery …` ([M32]): the recovery key of this device's person. */
export const recoveryCommands: Record<string, Command> = {
  /** Status; the first time, sets recovery up and prints the key (once). */
  async show(cli) {
    cli.identity()
    const rec = cli.messenger.recovery
    if (!rec.status().set) {
      await cli.connect()
      const text = await rec.create()
      await cli.delivered()
      await rec.maintain()
      return result(keyBlock(text), { created: true, recoveryKey: text, ...rec.status() })
    }
    await cli.connect()
    await rec.maintain()
    const s = rec.status()
    return result(`recovery set up ${iso(s.since!)}; recovery data last written ${s.uploaded ? iso(s.uploaded) : 'never (offline)'}; the key is not stored and cannot be shown again (\`recovery new\` makes a new one)`, { created: false, ...s })
  },

  /** A new key; the earlier one stops working (its device removed, its data deleted). */
  async new(cli) {
    await cli.connect()
    const rec = cli.messenger.recovery
    const text = await rec.create()
    await cli.delivered()
    await rec.maintain()
    return result(keyBlock(text), { created: true, recoveryKey: text, ...rec.status() })
  },
}

/**
 * `recover` ([M32]): on a home with no profile, the person's profile and history from the recovery
 * key (FIELDCHAT_RECOVERY_KEY, or --recovery-key, which shows in process lists); then syncs.
 */
export async function recover(options: MessengerOptions, key: string | undefined, timeoutMs: number): Promise<{ messenger: Messenger; outcome: Result }> {
  if (!key) throw usageError('recover takes the recovery key from FIELDCHAT_RECOVERY_KEY (or --recovery-key KEY)')
  const { messenger, name, orgs } = await Messenger.restore(options, key)
  messenger.start()
  await waitForDelivery(messenger, timeoutMs).catch(() => undefined)
  const conversations = messenger.conversations().map((c) => ({ conv: c.conv, title: c.title }))
  const human = `recovered ${name}: ${orgs.length} organisation(s) and conversation(s); ${conversations.length} readable now (history syncs from the server). The recovery key is spent: run \`recovery new\` for a new one.`
  return { messenger, outcome: result(human, { name, orgs, conversations }) }
}
