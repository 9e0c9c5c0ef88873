import { Show } from 'solid-js'
import type { ConvId } from '../../../protocol/index.js'
import { hrefOf } from '../route.js'
import type { TeamBinding } from '../teamBinding.js'
import { GroupsPanel } from './GroupsPanel.js'
import { MyDevices } from './MyDevices.js'
import { Invitations } from './Invitations.js'
import { PeoplePanel } from './PeoplePanel.js'
import { PolicyPanel } from './PolicyPanel.js'
import { UsagePanel } from '../usage/UsagePanel.js'

/**
 * One organisation: its invitations (admins), its people, this person's devices ([T17]), its
 * groups. The organisation is also a
 * conversation with everyone in it, linked from here. Mounted per id (the parent is keyed).
 */
export function OrgView(props: {
  team: TeamBinding
  org: ConvId
  myName: string
  onGroupCreated: (group: ConvId) => void
  onError: (err: unknown) => void
}) {
  // Read once on purpose: the parent is keyed on the id.
  const org = props.team.org(props.org)
  const myUser = () => org.directory().find((e) => e.me)?.user

  return (
    <section class="conversation org" aria-labelledby="org-title">
      <header class="conversation-header">
        <a class="back" href={hrefOf({ kind: 'home' })} aria-label="Back to conversations">
          ‹
        </a>
        <h2 id="org-title">{org.name() || 'Organisation'}</h2>
        <Show when={org.known()}>
          <a href={hrefOf({ kind: 'conversation', conv: props.org })}>Open conversation</a>
        </Show>
      </header>
      <Show
        when={org.known()}
        fallback={
          <p class="alert" role="alert">
            This organisation is not on this device, or you are no longer in it.
          </p>
        }
      >
        <div class="org-panels">
          <Show when={org.isAdmin()}>
            <Invitations
              id="org-invite"
              note={`One person can use this link, once, to ask to join ${org.name()}; your device lets them in. Share it only with them.`}
              invites={org.invites()}
              onInvite={org.invite}
              onRevoke={org.revoke}
              onError={props.onError}
            />
          </Show>
          <PeoplePanel org={org} myName={props.myName} onError={props.onError} />
          <Show when={myUser()} keyed>
            {(user) => <MyDevices org={org} user={user} onError={props.onError} />}
          </Show>
          <PolicyPanel org={org} />
          <UsagePanel org={org} />
          <GroupsPanel groups={org.groups()} onCreate={async (name, history) => props.onGroupCreated(await org.createGroup(name, history))} />
        </div>
      </Show>
    </section>
  )
}
