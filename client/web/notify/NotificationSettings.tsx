import { createSignal, Show } from 'solid-js'
import type { Messenger } from '../../core/messenger.js'
import type { NotificationLevel } from './levels.js'
import { loadNotifySettings, saveNotifySettings } from './settings.js'
import { subscribeToPush, unsubscribeFromPush } from './pushSubscribe.js'

/**
 * [M60]–[M62] "Turn on notifications" (permission is asked only here, on the person's press,
 * never on load), what a notification shows, and wake-ups with the app closed when the server
 * offers them. Renders and calls; the engine and the browser do the rest.
 */
export function NotificationSettings(props: { messenger: Messenger }) {
  const supported = typeof Notification !== 'undefined'
  const [permission, setPermission] = createSignal<NotificationPermission | 'not-chosen'>(!supported ? 'denied' : loadNotifySettings().enabled ? Notification.permission : 'not-chosen')
  const [level, setLevel] = createSignal<NotificationLevel>(loadNotifySettings().level)
  const [closedToo, setClosedToo] = createSignal(props.messenger.pushEnabled)
  const [note, setNote] = createSignal<string>()

  const turnOn = async () => {
    setPermission(await Notification.requestPermission())
    if (Notification.permission !== 'granted') return void setNote('Notifications are blocked in this browser\'s settings.')
    saveNotifySettings({ ...loadNotifySettings(), enabled: true })
    const pushed = await subscribeToPush(props.messenger).catch(() => false)
    setClosedToo(pushed)
    setNote(pushed ? undefined : 'You will be notified while FieldChat is open. This server or browser does not wake the app when it is closed.')
  }
  const choose = (value: string) => {
    const next = value === 'sender' || value === 'none' ? value : 'content'
    setLevel(next)
    saveNotifySettings({ ...loadNotifySettings(), level: next })
  }

  return (
    // One line until opened, like App lock and Recovery key: on a phone the conversation keeps the screen.
    <details class="card notify">
      <summary>Notifications: {permission() === 'granted' ? (closedToo() ? 'on, also while closed' : 'on') : 'off'}</summary>
      <Show when={supported} fallback={<p class="muted">This browser cannot show notifications.</p>}>
        <Show
          when={permission() === 'granted'}
          fallback={
            <button type="button" onClick={() => void turnOn()} disabled={permission() === 'denied'}>
              Turn on notifications
            </button>
          }
        >
          <label>
            Show in notifications{' '}
            <select value={level()} onChange={(e) => choose(e.currentTarget.value)}>
              <option value="content">Name and message</option>
              <option value="sender">Name only</option>
              <option value="none">Nothing (just "New message")</option>
            </select>
          </label>
          <p class="muted">An organisation may show less than you choose. {closedToo() ? 'The app is woken when it is closed: the server only learns that a device should check for something.' : ''}</p>
          <Show when={closedToo()}>
            <button type="button" class="link-button" onClick={() => void unsubscribeFromPush(props.messenger).then(() => setClosedToo(false))}>
              Stop notifications while the app is closed
            </button>
          </Show>
        </Show>
      </Show>
      <Show when={note()}>{(n) => <p class="muted" role="status">{n()}</p>}</Show>
    </details>
  )
}
