import './noEval.js' // first: before any zod schema is built
import { createSignal, Match, Switch } from 'solid-js'
import { render } from 'solid-js/web'
import { ClientError } from '../core/errors.js'
import { Messenger } from '../core/messenger.js'
import { App } from './App.js'
import { bindMessenger, type MessengerBinding } from './binding.js'
import { browserSocket } from './browserSocket.js'
import { Notice } from './components/Notice.js'
import { acquireEngineLock } from './engineLock.js'
import { openIdbStore } from './idbStore.js'
import { openEncrypted } from './storageKey.js'
import { requestPersistence, type Persistence } from './persist.js'
import { registerServiceWorker } from './pwa.js'
import { checkStoreHealth, type StoreHealth } from './storeHealth.js'
import './styles.css'

/**
 * Boot: take the single-tab lock, open IndexedDB, open the engine, render. Nothing here ever
 * writes over existing data: an identity that cannot be read stops the app with its message.
 */
type Phase =
  | { kind: 'starting' }
  | { kind: 'other-tab' }
  | { kind: 'failed'; message: string }
  | { kind: 'ready'; binding: MessengerBinding; health: StoreHealth }

const [phase, setPhase] = createSignal<Phase>({ kind: 'starting' })
const [persistence, setPersistence] = createSignal<Persistence>('unknown')
const [update, setUpdate] = createSignal<(() => void) | undefined>()

const syncUrl = () => `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/sync`

async function boot(): Promise<void> {
  await acquireEngineLock(() => setPhase({ kind: 'other-tab' }))
  setPhase({ kind: 'starting' })
  let messenger: Messenger
  try {
    const store = await openEncrypted(await openIdbStore())
    messenger = await Messenger.open({ store, url: syncUrl(), socket: browserSocket })
  } catch (err) {
    const message =
      err instanceof ClientError ? err.message : `This browser's local storage could not be opened (${err instanceof Error ? err.message : String(err)}).`
    setPhase({ kind: 'failed', message })
    return
  }
  if (messenger.identity) messenger.start()
  window.addEventListener('online', () => messenger.kick())
  const health = checkStoreHealth(messenger.identity?.deviceId, messenger.corruptRecords)
  setPhase({ kind: 'ready', binding: bindMessenger(messenger), health })
}

function Root() {
  const ready = () => {
    const p = phase()
    return p.kind === 'ready' ? p : undefined
  }
  const failed = () => {
    const p = phase()
    return p.kind === 'failed' ? p.message : undefined
  }
  return (
    <Switch fallback={<p class="boot">Starting FieldChat…</p>}>
      <Match when={ready()}>{(r) => <App binding={r().binding} health={r().health} persistence={persistence()} update={update()} />}</Match>
      <Match when={failed()}>
        {(message) => (
          <Notice title="FieldChat cannot start" alert>
            <p>{message()}</p>
          </Notice>
        )}
      </Match>
      <Match when={phase().kind === 'other-tab'}>
        <Notice title="FieldChat is open in another tab">
          <p>Use it there, or close it: this tab then continues by itself.</p>
        </Notice>
      </Match>
    </Switch>
  )
}

const mount = document.getElementById('app')!
mount.textContent = ''
render(() => <Root />, mount)
registerServiceWorker((apply) => setUpdate(() => apply))
void requestPersistence().then(setPersistence)
boot().catch((err: unknown) => setPhase({ kind: 'failed', message: String(err) }))
