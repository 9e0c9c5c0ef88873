import type { MessageView } from '../../core/documents/model.js'
import { Messenger } from '../../core/messenger.js'
import type { ConvId } from '../../../protocol/index.js'
import { browserSocket } from '../browserSocket.js'
import { hasOpfs } from '../files/opfs.js'
import { openOpfsSpool } from '../files/opfsSpool.js'
import { openIdbStore } from '../idbStore.js'
import { composeCallNotification, composeNotification, freshFromOthers, type ComposedNotification } from '../notify/compose.js'
import { loadMirroredNotifySettings } from '../notify/settings.js'
import { openBrowserStore } from '../storageKey.js'

/** What one wake found: notifications to show, or why it could not look. */
export type WakeResult =
  | { readonly kind: 'synced'; readonly notifications: readonly ComposedNotification[] }
  /** [M28][M29] An app lock: the store's master opens only with the person's passphrase or passkey. */
  | { readonly kind: 'app-locked' }
  /** No identity on this device yet. */
  | { readonly kind: 'no-identity' }

export interface WakeOptions {
  readonly syncUrl: string
  /** The sync's bound: the engine is stopped then, caught up or not (a tab may be waiting for it). */
  readonly budgetMs: number
  /** Quiet time after catching up, for the documents that just arrived to be read. */
  readonly settleMs: number
  /** Whether this origin may show notifications at all. */
  readonly permitted: () => boolean
}

/**
 * [M62] A push wake with no tab running the engine (the caller holds the engine lock): open the
 * same store the page uses, with the same device key; run the engine until it is caught up (or
 * the budget ends); compose a notification for each conversation with new messages of others,
 * by the page's own rule (notify/compose.ts); stop the engine and close the store in every case.
 * What was received is stored as the page would have stored it: a later page open loads it and
 * announces nothing again (the engine announces only what a sync adds).
 * Never asks for a secret: with an app lock it returns `app-locked` without reading anything.
 */
export async function syncAndCompose(opts: WakeOptions): Promise<WakeResult> {
  const inner = await openIdbStore()
  let messenger: Messenger | undefined
  try {
    const opened = await openBrowserStore(inner)
    if (opened.kind === 'locked') return { kind: 'app-locked' }
    const spool = hasOpfs() ? await openOpfsSpool().catch(() => undefined) : undefined
    messenger = await Messenger.open({ store: opened.store, url: opts.syncUrl, socket: browserSocket, ...(spool ? { spool } : {}) })
    if (!messenger.identity) return { kind: 'no-identity' }
    // What the store already holds is not new: each conversation's newest segment is loaded
    // first, so the sync's `added` names only what it received (a segment the engine had not
    // loaded would announce all its messages again when one more arrives in it).
    const known = new Set<ConvId>()
    for (const { conv } of messenger.conversations()) {
      await messenger.openConversation(conv).then(() => known.add(conv), (err: unknown) => console.warn('the wake could not load a conversation', err))
    }
    const added = new Map<ConvId, MessageView[]>()
    messenger.events.on('added', ({ conv, messages }) => void (known.has(conv) && added.set(conv, [...(added.get(conv) ?? []), ...messages])))
    await runUntilCaughtUp(messenger, opts)
    if (!opts.permitted()) return { kind: 'synced', notifications: [] }
    const settings = await loadMirroredNotifySettings()
    const notifications: ComposedNotification[] = []
    for (const [conv, messages] of added) {
      const fresh = freshFromOthers(messenger, messages)
      const composed = composeNotification(messenger, conv, fresh, settings, fresh.length)
      if (composed) notifications.push(composed)
    }
    // [V7][M62] A call of another person started less than 45 s ago and not over: it rings here
    // too (the app, once opened, shows it ringing while the caller's device keeps saying `here`).
    for (const conv of known) {
      const ring = messenger.ringingCalls(conv).at(-1)
      const composed = ring && composeCallNotification(messenger, conv, ring.author, ring.video, settings)
      if (composed) notifications.push(composed)
    }
    return { kind: 'synced', notifications }
  } finally {
    await messenger?.stop().catch((err: unknown) => console.warn('the wake could not stop the engine cleanly', err))
    await inner.close()
  }
}

/** Starts the engine and resolves once it is online (caught up) and quiet, or when the budget ends. */
function runUntilCaughtUp(messenger: Messenger, opts: WakeOptions): Promise<void> {
  return new Promise((done) => {
    const offs: (() => void)[] = []
    let quiet: ReturnType<typeof setTimeout> | undefined
    const finish = () => {
      clearTimeout(deadline)
      clearTimeout(quiet)
      for (const off of offs) off()
      done()
    }
    const deadline = setTimeout(finish, opts.budgetMs)
    // Every document change restarts the quiet time once online: the last arrivals are read first.
    const settle = () => {
      if (messenger.status.connection !== 'online') return
      clearTimeout(quiet)
      quiet = setTimeout(finish, opts.settleMs)
    }
    offs.push(messenger.events.on('status', settle), messenger.events.on('messages', settle))
    messenger.start()
    settle()
  })
}
