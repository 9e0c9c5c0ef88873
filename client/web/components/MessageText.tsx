import { createContext, createMemo, createSignal, createUniqueId, For, Match, Show, Switch, useContext, type Accessor, type JSX } from 'solid-js'
import { blockedDomainsOf, messageSegments, type LinkVerdict, type MessageSegment } from '../../core/links/index.js'
import { LinkConfirm } from './LinkConfirm.js'

type LinkSegment = Extract<MessageSegment, { kind: 'link' }>

const NONE: readonly string[] = []

/**
 * [U9] The blocked domains of the organisation whose messages are shown below the provider
 * (its policy, read with `blockedDomainsOf`); none outside one. An accessor, so a policy change
 * re-checks the links on screen.
 */
export const BlockedDomains = createContext<Accessor<readonly string[]>>(() => NONE)

/**
 * Provides the blocked domains of an organisation's policy (e.g. `team.org(org).policy` of the
 * open conversation's space) to the messages inside. The field is read defensively
 * (`blockedDomainsOf`: the policy type gains `blockedDomains` in another change).
 */
export function LinkPolicy(props: { policy: Accessor<unknown>; children: JSX.Element }) {
  const blocked = createMemo(() => blockedDomainsOf(props.policy()), NONE, { equals: (a, b) => a.length === b.length && a.every((d, i) => d === b[i]) })
  return <BlockedDomains.Provider value={blocked}>{props.children}</BlockedDomains.Provider>
}

/**
 * [U10] A message's text with its links: plain text as text, each link as the engine judged it
 * ([U1]–[U9]). An `ok` link opens in a new tab with no referrer; a `warn` link carries its
 * reasons as visible text and asks first; a `block` link is text, never clickable.
 */
export function MessageText(props: { text: string }) {
  const blocked = useContext(BlockedDomains)
  const segments = createMemo(() => messageSegments(props.text, { blockedDomains: blocked() }))
  const [confirming, setConfirming] = createSignal<LinkVerdict>()
  return (
    <>
      <For each={segments()}>{(s) => (s.kind === 'text' ? s.raw : <LinkView segment={s} onAsk={setConfirming} />)}</For>
      <Show when={confirming()} keyed>
        {(verdict) => <LinkConfirm verdict={verdict} onClose={() => setConfirming(undefined)} />}
      </Show>
    </>
  )
}

const LINK_REL = 'noopener noreferrer nofollow'

function LinkView(props: { segment: LinkSegment; onAsk: (verdict: LinkVerdict) => void }) {
  const id = createUniqueId()
  const v = () => props.segment.verdict
  // A labelled link shows where it really goes when its text does not say so.
  const host = () => (props.segment.labelled && v().displayHost && !props.segment.text.includes(v().displayHost) ? v().displayHost : undefined)
  const ask = (e: MouseEvent) => {
    e.preventDefault()
    props.onAsk(v())
  }
  return (
    <Switch>
      <Match when={v().level === 'block'}>
        <span class="link-blocked" aria-describedby={id}>
          {props.segment.text}
        </span>
        <LinkMark id={id} verdict={v()} />
      </Match>
      <Match when={v().level === 'warn'}>
        <a class="msg-link link-warned" href={v().href} target="_blank" rel={LINK_REL} referrerPolicy="no-referrer" aria-describedby={id} onClick={ask} onAuxClick={ask}>
          {props.segment.text}
        </a>
        <LinkHost host={host()} />
        <LinkMark id={id} verdict={v()} />
      </Match>
      <Match when={v().level === 'ok'}>
        <a class="msg-link" href={v().href} target="_blank" rel={LINK_REL} referrerPolicy="no-referrer" title={v().href}>
          {props.segment.text}
        </a>
        <LinkHost host={host()} />
      </Match>
    </Switch>
  )
}

function LinkHost(props: { host: string | undefined }) {
  return (
    <Show when={props.host}>
      <span class="link-host small muted"> ({props.host})</span>
    </Show>
  )
}

/** The reasons as text beside the link (not colour alone), and the link's description for screen readers. */
function LinkMark(props: { id: string; verdict: LinkVerdict }) {
  const block = () => props.verdict.level === 'block'
  return (
    <span id={props.id} class="link-mark" classList={{ 'link-mark-block': block() }} data-testid="link-mark" data-level={props.verdict.level}>
      <span aria-hidden="true">{block() ? ' ✖ ' : ' ⚠ '}</span>
      {block() ? 'Blocked link: ' : 'Check this link: '}
      <For each={props.verdict.reasons}>
        {(r) => (
          <span class="link-reason" data-code={r.code}>
            {r.text}{' '}
          </span>
        )}
      </For>
    </span>
  )
}
