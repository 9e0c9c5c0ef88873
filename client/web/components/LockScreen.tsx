import { createSignal, Show } from 'solid-js'
import type { AtRestInfo, AtRestSecret } from '../../core/storage/atRest.js'
import { messageOf } from '../binding.js'
import { passkeyPrf, passkeysPossible } from '../passkey.js'
import { ErrorLine } from './ErrorLine.js'

/**
 * [M29] The app is locked: nothing of the store is readable until the person gives the
 * passphrase or uses the passkey. A wrong one is said so (M203) and changes nothing.
 */
export function LockScreen(props: { info: AtRestInfo; onUnlock: (secret: AtRestSecret) => Promise<void> }) {
  const [passphrase, setPassphrase] = createSignal('')
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal('')
  const hasPassphrase = () => props.info.unlockers.includes('passphrase')
  const passkey = () => (passkeysPossible() ? props.info.passkey : undefined)

  const attempt = async (secret: () => Promise<AtRestSecret>) => {
    setBusy(true)
    setError('')
    try {
      await props.onUnlock(await secret())
    } catch (err) {
      setError(messageOf(err))
      setBusy(false)
    }
  }
  const submit = (e: SubmitEvent) => {
    e.preventDefault()
    const value = passphrase()
    setPassphrase('') // emptied before the app moves on ([M28])
    void attempt(async () => ({ kind: 'passphrase', passphrase: value }))
  }

  return (
    <main class="shell notice">
      <section class="card lock-screen" aria-labelledby="lock-title">
        <h1 id="lock-title">FieldChat is locked</h1>
        <p>This device's messages are encrypted. Unlock to read and write.</p>
        <Show when={passkey()}>
          {(pk) => (
            <button type="button" class="primary" disabled={busy()} onClick={() => void attempt(async () => ({ kind: 'passkey', prf: await passkeyPrf(pk().credential, pk().salt) }))}>
              Unlock with passkey
            </button>
          )}
        </Show>
        <Show when={hasPassphrase()}>
          <form onSubmit={submit}>
            <label for="unlock-passphrase">Passphrase</label>
            <input id="unlock-passphrase" type="password" autocomplete="off" value={passphrase()} onInput={(e) => setPassphrase(e.currentTarget.value)} disabled={busy()} />
            <button type="submit" disabled={busy() || !passphrase()}>
              {busy() ? 'Unlocking…' : 'Unlock'}
            </button>
          </form>
        </Show>
        <ErrorLine message={error()} />
      </section>
    </main>
  )
}
