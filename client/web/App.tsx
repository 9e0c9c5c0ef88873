import { createEffect, Match, Show, Switch } from 'solid-js'
import type { MessengerBinding } from './binding.js'
import { ConversationList } from './components/ConversationList.js'
import { ArchiveView } from './components/ArchiveView.js'
import { ExportPanel } from './components/ExportPanel.js'
import { bindArchive } from './archiveBinding.js'
import { Footer } from './components/Footer.js'
import { JoinPrompt } from './components/JoinPrompt.js'
import { Onboarding } from './components/Onboarding.js'
import { OpenConversation } from './components/OpenConversation.js'
import { Organisations } from './components/Organisations.js'
import { PendingJoins } from './components/PendingJoins.js'
import { OrgView } from './components/OrgView.js'
import { ProblemAlerts } from './components/ProblemAlerts.js'
import { StatusBar } from './components/StatusBar.js'
import { OfflineBanner } from './components/OfflineBanner.js'
import { UpdateBanner } from './components/UpdateBanner.js'
import type { Persistence } from './persist.js'
import type { AppLock } from './appLock.js'
import { AppLockPanel } from './components/AppLockPanel.js'
import { RecoveryPanel } from './components/RecoveryPanel.js'
import { NotificationSettings } from './notify/NotificationSettings.js'
import { ReceiptSettings } from './components/ReceiptSettings.js'
import { showUnreadTotal } from './appBadge.js'
import { StoreNotices } from './components/StoreNotices.js'
import { WipeNotices } from './components/WipeNotices.js'
import type { StoreHealth } from './storeHealth.js'
import { createRouter, hrefOf, type Place } from './route.js'
import type { ConvId } from '../../protocol/index.js'
import { createSearchShell } from './searchShell.js'
import { SearchView } from './components/SearchView.js'
import { ConversationToolsContext } from './components/ConversationTools.js'
import { createCallsBinding } from './calls/callsBinding.js'
import { CallPanel } from './calls/CallPanel.js'
import { IncomingCalls } from './calls/IncomingCalls.js'

/**
 * Screens: onboarding (no identity yet), an invitation to accept (a conversation's, an
 * organisation's, or a device link), or the lists — invitations waiting for an admin,
 * organisations, conversations — with the open conversation or organisation. On narrow screens
 * the lists and the open item take turns.
 */
export function App(props: { binding: MessengerBinding; health: StoreHealth; lock: AppLock; persistence: Persistence; update: (() => void) | undefined }) {
  const b = props.binding
  const archive = bindArchive(b.messenger)
  // [M29][T21] An organisation requires an app lock and none is set: the lock settings come first.
  const lockRequired = () => !!b.identity() && props.lock.policy().requireLock && !props.lock.info().locked
  const router = createRouter()
  // [W24] "(3) FieldChat" and the app icon's badge.
  createEffect(() => showUnreadTotal(b.unreadTotal()))
  const route = router.route
  const currentConv = () => {
    const r = route()
    return r.kind === 'conversation' ? r.conv : undefined
  }
  const currentOrg = () => {
    const r = route()
    return r.kind === 'org' ? r.org : undefined
  }
  const invitation = () => {
    const r = route()
    return r.kind === 'org-join' ? r : undefined
  }
  const badInvite = () => {
    const r = route()
    return r.kind === 'bad-invite' ? r.message : undefined
  }
  // [W25] Search (its view replaces the lists while open), opened by the Search button, Ctrl+K or "/".
  const shell = createSearchShell(b.messenger, router, () => !!b.identity() && !lockRequired() && !invitation() && !badInvite())
  // [W32] Calls: ringing ones wherever the person is, the one they are in above everything.
  const calls = createCallsBinding(b.messenger)
  const tools = { messenger: b.messenger, searchIn: (conv: ConvId) => shell.show(conv), calls }

  return (
    <div class="shell">
      <header class="app-header">
        <span class="brand">FieldChat</span>
        <Show when={b.identity()}>
          <StatusBar status={b.status()} />
        </Show>
        <Show when={props.lock.info().locked}>
          <button type="button" class="link-button lock-now" onClick={() => void props.lock.lockNow()}>
            Lock
          </button>
        </Show>
      </header>
      <Show when={b.identity()}>
        <OfflineBanner status={b.status()} />
      </Show>
      <UpdateBanner apply={props.update} />
      <ProblemAlerts problems={b.problems} onDismiss={b.dismiss} />
      <StoreNotices health={props.health} persistence={props.persistence} />
      <WipeNotices messenger={b.messenger} />
      <Show when={b.identity() && !lockRequired()}>
        <IncomingCalls calls={calls} titleOf={(conv) => b.titleOf(conv as ConvId)} onError={b.reportError} />
        <Show when={calls.problem()}>
          {(message) => (
            <p class="alert call-problem" role="alert">
              {message()}{' '}
              <button type="button" class="link-button" onClick={calls.dismissProblem}>
                Dismiss
              </button>
            </p>
          )}
        </Show>
        <Show when={calls.active()}>{(a) => <CallPanel calls={calls} active={a()} title={b.titleOf(a().conv)} />}</Show>
      </Show>
      <Show when={lockRequired()}>
        <AppLockPanel lock={props.lock} />
      </Show>
      <main class="app-main" hidden={lockRequired()} data-view={shell.search.open() && shell.front() ? 'search' : currentConv() || currentOrg() ? 'conversation' : 'list'}>
        <Switch>
          <Match when={badInvite()}>
            {(message) => (
              <section class="card" aria-labelledby="bad-invite-title">
                <h2 id="bad-invite-title">Invitation</h2>
                <p class="alert" role="alert">
                  {message()}
                </p>
                <a href={hrefOf({ kind: 'home' })} onClick={(e) => (e.preventDefault(), router.go({ kind: 'home' }, { replace: true }))}>
                  Back to conversations
                </a>
              </section>
            )}
          </Match>
          <Match when={!b.identity()}>
            <Onboarding onCreate={b.createIdentity} onRecover={b.recover}>
              <Show when={invitation()}>
                {(inv) =>
                  inv().device ? (
                    <p class="lead">This link adds this device to {inv().name}. First, choose a name for this device's profile.</p>
                  ) : (
                    <p class="lead">
                      You were invited to the {inv().conversation ? 'conversation' : 'organisation'} {inv().name}. First, choose your name.
                    </p>
                  )
                }
              </Show>
            </Onboarding>
          </Match>
          <Match when={invitation()}>
            {(inv) => (
              <JoinPrompt
                name={inv().name}
                expires={inv().expires}
                conversation={inv().conversation}
                device={inv().device}
                onCancel={() => router.go({ kind: 'home' }, { replace: true })}
                onJoin={async () => {
                  const conversation = inv().conversation
                  const { org, member } = await b.join(inv().link)
                  // The link holds the invitation secret: take it out of the address bar and history.
                  router.go(afterJoin(org, member, conversation), { replace: true })
                }}
              />
            )}
          </Match>
          <Match when={true}>
            <div class="sidebar" classList={{ searching: shell.search.open() }}>
              <div class="list-tools">
                <button type="button" class="small-button" data-search-opener="" aria-keyshortcuts="Control+K Meta+K /" aria-expanded={shell.search.open()} onClick={() => shell.show()}>
                  Search
                </button>
              </div>
              <Show when={shell.search.open()}>
                <SearchView search={shell.search} titleOf={b.titleOf} onOpen={shell.openHit} onClose={shell.close} />
              </Show>
              <PendingJoins pending={b.team.pending()} onCancel={(org) => b.team.cancelJoin(org)} onError={b.reportError} />
              <Organisations
                orgs={b.team.orgs()}
                current={currentOrg()}
                unread={b.unreadOf}
                onCreate={async (name) => router.go({ kind: 'org', org: await b.team.createOrg(name) })}
              />
              <ConversationList
                conversations={b.conversationRows()}
                current={currentConv()}
                onCreate={async (title) => router.go({ kind: 'conversation', conv: await b.createConversation(title) })}
              />
              <ExportPanel archive={archive} />
              <ArchiveView archive={archive} />
            </div>
            <Switch fallback={<p class="placeholder muted">Choose a conversation.</p>}>
              <Match when={currentConv()} keyed>
                {(conv) => (
                  <ConversationToolsContext.Provider value={tools}>
                    <OpenConversation binding={b} conv={conv} />
                  </ConversationToolsContext.Provider>
                )}
              </Match>
              <Match when={currentOrg()} keyed>
                {(org) => (
                  <OrgView
                    team={b.team}
                    org={org}
                    myName={b.identity()?.name ?? ''}
                    onGroupCreated={(group) => router.go({ kind: 'conversation', conv: group })}
                    onError={b.reportError}
                  />
                )}
              </Match>
            </Switch>
          </Match>
        </Switch>
      </main>
      <Show when={b.identity() && !lockRequired()}>
        <div class="settings-panels">
          <AppLockPanel lock={props.lock} />
          <RecoveryPanel messenger={b.messenger} />
          <NotificationSettings messenger={b.messenger} />
          <ReceiptSettings presence={b.presence} onError={b.reportError} />
        </div>
      </Show>
      <Footer name={b.identity()?.name} />
    </div>
  )
}

/** Where an answered invitation leads: the lists (it waits there for an admin, the usual case), or the space when already in. */
function afterJoin(org: ConvId, member: boolean, conversation: true | undefined): Place {
  if (!member) return { kind: 'home' }
  return conversation ? { kind: 'conversation', conv: org } : { kind: 'org', org }
}
