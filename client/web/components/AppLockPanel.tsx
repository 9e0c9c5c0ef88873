import { createSignal, For, Show } from 'solid-js'
import type { AtRestSecret } from '../../core/storage/atRest.js'
import type { AppLock } from '../appLock.js'
import { messageOf } from '../binding.js'
import { createPasskey, passkeyPrf, passkeysPossible } from '../passkey.js'
import { ErrorLine } from './ErrorLine.js'

const MIN = 8
const CHOICES = [1, 5, 15, 60, 0]

/**
 * [M29] App lock settings: set a passphrase or a passkey, lock now, the auto-lock time, remove
 * the lock. Changes to a locked store ask for what opens it now. When an organisation requires a
 * lock (team [T21]) and none is set, this is shown open, as an alert, in place of the app.
 */
export function AppLockPanel(props: { lock: AppLock }) {
  const lock = props.lock
  const [current, setCurrent] = createSignal('')
  const [next, setNext] = createSignal('')
  const [repeat, setRepeat] = createSignal('')
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal('')
  const locked = () => lock.info().locked
  const kinds = () => lock.info().unlockers.filter((k) => k !== 'key')
  const required = () => lock.policy().requireLock && !locked()

  /** What opens the store now: nothing to give when not locked; else the passphrase typed, or the passkey. */
  const now = async (): Promise<AtRestSecret | undefined> => {
    if (!locked()) return undefined
    if (current()) return { kind: 'passphrase', passphrase: current() }
    const pk = lock.info().passkey
    if (pk) return { kind: 'passkey', prf: await passkeyPrf(pk.credential, pk.salt) }
    throw new Error('Type your current passphrase first.')
  }
  const run = async (work: () => Promise<void>) => {
    setBusy(true)
    setError('')
    try {
      await work()
    } catch (err) {
      setError(messageOf(err))
    } finally {
      setBusy(false)
      setCurrent('')
      setNext('')
      setRepeat('')
    }
  }
  /** The passkey kept as it is when the passphrase changes (its PRF again, unless it just gave `cur`). */
  const keptPasskey = async (cur: AtRestSecret | undefined): Promise<AtRestSecret[]> => {
    const pk = lock.info().passkey
    if (!pk || !kinds().includes('passkey')) return []
    const prf = cur?.kind === 'passkey' ? cur.prf : await passkeyPrf(pk.credential, pk.salt)
    return [{ kind: 'passkey', prf, credential: pk.credential, salt: pk.salt }]
  }
  const setPassphrase = (e: SubmitEvent) => {
    e.preventDefault()
    if ([...next()].length < MIN) return void setError(`A passphrase has at least ${MIN} characters.`)
    if (next() !== repeat()) return void setError('The two passphrases differ.')
    const passphrase = next()
    void run(async () => {
      const cur = await now()
      await lock.change(cur, [{ kind: 'passphrase', passphrase }, ...(await keptPasskey(cur))])
    })
  }
  const addPasskey = () =>
    run(async () => {
      const cur = await now()
      const made = await createPasskey()
      // The passphrase stays when it is what opened the store for this change.
      await lock.change(cur, [{ kind: 'passkey', ...made }, ...(cur?.kind === 'passphrase' ? [cur] : [])])
    })
  const remove = () => run(async () => lock.change(await now(), []))

  return (
    <details class="card app-lock" open={required()} role={required() ? 'alert' : undefined}>
      <summary>App lock: {locked() ? `on (${kinds().join(' and ')})` : 'off'}</summary>
      <Show when={required()}>
        <p class="alert">Your organisation requires an app lock on this device. Set a passphrase or a passkey to go on.</p>
      </Show>
      <p class="muted small">
        With a lock, this device's messages open only with your passphrase or passkey: a lost or shared device shows nothing.
        Forgetting both means this device's data cannot be opened (your organisation can add a new device for you).
      </p>
      <Show when={locked()}>
        <div class="row">
          <button type="button" onClick={() => void lock.lockNow()}>
            Lock now
          </button>
          <label for="auto-lock">Lock after</label>
          <select id="auto-lock" value={String(lock.chosenMinutes())} onChange={(e) => lock.setChosenMinutes(Number(e.currentTarget.value))}>
            <For each={CHOICES}>{(m) => <option value={String(m)}>{m ? `${m} min idle` : 'never'}</option>}</For>
          </select>
        </div>
        <Show when={lock.policy().autoLockMinutes}>
          <p class="muted small">Your organisation locks this device after at most {lock.policy().autoLockMinutes} min idle.</p>
        </Show>
        <Show when={kinds().includes('passphrase')}>
          <label for="lock-current">Current passphrase (to change the lock)</label>
          <input id="lock-current" type="password" autocomplete="off" value={current()} onInput={(e) => setCurrent(e.currentTarget.value)} />
        </Show>
      </Show>
      <form onSubmit={setPassphrase}>
        <label for="lock-new">{kinds().includes('passphrase') ? 'New passphrase' : 'Passphrase'}</label>
        <input id="lock-new" type="password" autocomplete="off" value={next()} onInput={(e) => setNext(e.currentTarget.value)} />
        <label for="lock-repeat">Repeat it</label>
        <input id="lock-repeat" type="password" autocomplete="off" value={repeat()} onInput={(e) => setRepeat(e.currentTarget.value)} />
        <button type="submit" disabled={busy()}>
          {kinds().includes('passphrase') ? 'Change passphrase' : 'Set passphrase'}
        </button>
      </form>
      <div class="row">
        <Show when={passkeysPossible() && !kinds().includes('passkey')}>
          <button type="button" disabled={busy()} onClick={() => void addPasskey()}>
            Use a passkey (fingerprint, face)
          </button>
        </Show>
        <Show when={locked() && !lock.policy().requireLock}>
          <button type="button" disabled={busy()} onClick={() => void remove()}>
            Remove the lock
          </button>
        </Show>
      </div>
      <ErrorLine message={error()} />
    </details>
  )
}
