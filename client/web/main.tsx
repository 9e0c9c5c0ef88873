import './noEval.js' // first: before any zod schema is built
import { createEffect, createRoot, createSignal, Match, Switch } from 'solid-js'
import { render } from 'solid-js/web'
import { ClientError } from '../core/errors.js'
import { Messenger, type DisplayMessage } from '../core/messenger.js'
import type { AtRestInfo, AtRestSecret } from '../core/storage/atRest.js'
import type { LocalStore } from '../core/storage/LocalStore.js'
import { App } from './App.js'
import { createAppLock, type AppLock } from './appLock.js'
import { bindMessenger, type MessengerBinding } from './binding.js'
import { browserSocket } from './browserSocket.js'
import { BootPreview } from './components/BootPreview.js'
import { LockScreen } from './components/LockScreen.js'
import { Notice } from './components/Notice.js'
import { acquireEngineLock } from './engineLock.js'
import { fileOptions } from './files/boot.js'
import { openIdbStore } from './idbStore.js'
import { openBrowserStore, unlockStore } from './storageKey.js'
import { requestPersistence, type Persistence } from './persist.js'
import { registerServiceWorker } from './pwa.js'
import { bindNotifications, convInView } from './notify/notifier.js'
import { parseRoute } from './route.js'
import { previewAllowed, rememberLockPolicy } from './bootPolicy.js'
import { checkStoreHealth, type StoreHealth } from './storeHealth.js'
import { APP_VERSION } from '../core/version.js'
import { webPlatform } from './usage/platform.js'
import './styles.css'

/**
 * Boot: take the single-tab lock, open IndexedDB, unlock the store (at once with the device key,
 * or on the lock screen with the person's passphrase or passkey, [M29]), open the engine, render.
 * Nothing here ever writes over existing data: an identity that cannot be read stops the app with
 * its message.
 */
type Phase =
  /** `preview`: [W39] the saved newest messages of the conversation the address names, while the engine loads. */
  | { kind: 'starting'; preview?: readonly DisplayMessage[] }
  | { kind: 'other-tab' }
  | { kind: 'failed'; message: string }
  | { kind: 'locked'; info: AtRestInfo }
  | { kind: 'ready'; binding: MessengerBinding; health: StoreHealth; lock: AppLock }

const [phase, setPhase] = createSignal<Phase>({ kind: 'starting' })
const [persistence, setPersistence] = createSignal<Persistence>('unknown')
const [update, setUpdate] = createSignal<(() => void) | undefined>()

const syncUrl = () => `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/sync`
const failure = (err: unknown) =>
  err instanceof ClientError ? err.message : `This browser's local storage could not be opened (${err instanceof Error ? err.message : String(err)}).`

let inner: LocalStore | undefined

async function boot(): Promise<void> {
  await acquireEngineLock(() => setPhase({ kind: 'other-tab' }))
  setPhase({ kind: 'starting' })
  try {
    inner = await openIdbStore()
    const opened = await openBrowserStore(inner)
    if (opened.kind === 'locked') return void setPhase({ kind: 'locked', info: opened.info })
    await start(opened.store, false)
  } catch (err) {
    setPhase({ kind: 'failed', message: failure(err) })
  }
}

/** The lock screen's answer: M203 (wrong passphrase, another passkey) is thrown back to it. */
async function unlock(secret: AtRestSecret): Promise<void> {
  const store = await unlockStore(inner!, secret)
  await start(store, true).catch((err: unknown) => setPhase({ kind: 'failed', message: failure(err) }))
}

/** What the running engine hung on the page, removed when the app restarts after a lock change. */
let detach = () => {}

/** `unlocked`: the person has just opened the store with a passphrase or a passkey (a lock is set). */
async function start(store: LocalStore, unlocked: boolean): Promise<void> {
  detach()
  const opening = Messenger.opening({ store, url: syncUrl(), socket: browserSocket, ...(await fileOptions()), app: { version: APP_VERSION, platform: webPlatform(navigator.userAgent) } })
  // [W39] The conversation the address names paints from its saved view while the engine loads.
  const route = parseRoute(location.hash)
  // Not while an organisation may require a lock that is not set (the app would hide it): bootPolicy.ts.
  if (route.kind === 'conversation' && previewAllowed(unlocked)) {
    void opening.preview(route.conv).then(
      (messages) => {
        if (messages?.length && phase().kind === 'starting') setPhase({ kind: 'starting', preview: messages })
      },
      () => undefined, // the engine's own opening reports what failed
    )
  }
  const messenger = await opening.messenger
  if (messenger.identity) messenger.start()
  const kick = () => messenger.kick()
  window.addEventListener('online', kick)
  const health = checkStoreHealth(messenger.identity?.deviceId, messenger.corruptRecords)
  const lock = await createAppLock({
    inner: inner!,
    messenger,
    // After the lock changed: the engine is stopped; open the store again with what opens it now.
    restart: async (secret) => {
      setPhase({ kind: 'starting' })
      const opened = secret ? { kind: 'open' as const, store: await unlockStore(inner!, secret) } : await openBrowserStore(inner!)
      if (opened.kind === 'locked') return void setPhase({ kind: 'locked', info: opened.info })
      await start(opened.store, !!secret)
    },
  })
  // [W39] For the next launch's first paint: whether an organisation requires a lock.
  const unremember = createRoot((dispose) => {
    createEffect(() => rememberLockPolicy(lock.policy().requireLock))
    return dispose
  })
  // [M60] System notifications for messages that arrive while the page is hidden or elsewhere.
  const unnotify = bindNotifications(messenger, convInView)
  detach = () => {
    window.removeEventListener('online', kick)
    lock.dispose()
    unnotify()
    unremember()
  }
  setPhase({ kind: 'ready', binding: bindMessenger(messenger), health, lock })
}

function Root() {
  const ready = () => {
    const p = phase()
    return p.kind === 'ready' ? p : undefined
  }
  const locked = () => {
    const p = phase()
    return p.kind === 'locked' ? p.info : undefined
  }
  const preview = () => {
    const p = phase()
    return p.kind === 'starting' ? p.preview : undefined
  }
  const failed = () => {
    const p = phase()
    return p.kind === 'failed' ? p.message : undefined
  }
  return (
    <Switch fallback={<p class="boot">Starting FieldChat…</p>}>
      <Match when={ready()} keyed>
        {(r) => <App binding={r.binding} health={r.health} lock={r.lock} persistence={persistence()} update={update()} />}
      </Match>
      <Match when={locked()}>{(info) => <LockScreen info={info()} onUnlock={unlock} />}</Match>
      <Match when={failed()}>
        {(message) => (
          <Notice title="FieldChat cannot start" alert>
            <p>{message()}</p>
          </Notice>
        )}
      </Match>
      <Match when={preview()}>{(messages) => <BootPreview messages={messages()} />}</Match>
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
