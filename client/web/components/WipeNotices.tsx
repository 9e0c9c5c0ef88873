import { For, createSignal, onCleanup, type Accessor } from 'solid-js'
import type { Messenger, WipedOrg } from '../../core/messenger.js'
import type { ConvId } from '../../../protocol/index.js'
import { hrefOf, parseRoute } from '../route.js'

/** [M30] The wipes the person has not dismissed, following the engine; and dismissing one. */
export function bindWipes(messenger: Messenger): { shown: Accessor<readonly WipedOrg[]>; dismiss(org: ConvId): Promise<void> } {
  const read = () => messenger.wiped().filter((t) => !t.dismissed && !t.pending)
  const [shown, setShown] = createSignal<readonly WipedOrg[]>(read())
  const refresh = () => setShown(read())
  onCleanup(messenger.events.on('conversations', refresh))
  onCleanup(
    messenger.events.on('wiped', (t) => {
      refresh()
      leave(t.spaces)
    }),
  )
  // A reload on the address of a wiped organisation (or a conversation of one) goes to the lists.
  leave(messenger.wiped().map((t) => t.org))
  return { shown, dismiss: (org) => messenger.dismissWiped(org) }
}

/** The open conversation or organisation was wiped: nothing of it is left to show, go to the lists. */
function leave(spaces: readonly ConvId[]): void {
  const route = parseRoute(location.hash)
  const here = route.kind === 'conversation' ? route.conv : route.kind === 'org' ? route.org : undefined
  if (here && spaces.includes(here)) location.replace(hrefOf({ kind: 'home' }))
}

const because: Record<WipedOrg['reason'], string> = {
  'device-removed': 'This device was taken out of it (reported lost, or by an admin).',
  'person-removed': 'You are no longer a member of it.',
}

/**
 * [M30] "This device was removed from <name>; its data for it was deleted": one dismissible
 * notice per organisation (or conversation) this device wiped after learning it was removed.
 */
export function WipeNotices(props: { messenger: Messenger }) {
  const wipes = bindWipes(props.messenger)
  return (
    <For each={wipes.shown()}>
      {(t) => (
        <section class="card alert" role="alert" aria-label={`Removed from ${t.name}`}>
          <p>
            This device was removed from {t.name}; its data for it was deleted. {because[t.reason]}
          </p>
          <button type="button" class="link-button" onClick={() => void wipes.dismiss(t.org)}>
            Dismiss
          </button>
        </section>
      )}
    </For>
  )
}
