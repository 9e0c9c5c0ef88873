import { toBase64Url, toHex } from '../../crypto/verify.js'
import type { Fanout, FanoutTargets, JoinedPeer, PostedMailLive } from './Fanout.js'

/** [S21] One instance: every event reaches this process's connections, and nothing else. */
export function localFanout(targets: FanoutTargets): Fanout {
  return {
    envelopes(conv, doc, items, from) {
      targets.hub.publish(conv, doc, items, from)
    },
    mail(post) {
      post.to.forEach((to, r) => {
        const connections = targets.mailboxes.get(toHex(to))
        if (connections?.size) deliverMail(connections, post, r)
      })
    },
    rekey(conv, from) {
      revokeAll(targets, toBase64Url(conv), from)
    },
    signal(conv, body, from) {
      relayAll(targets, conv, body, from)
    },
    async close() {},
  }
}

/** Recipient `r`'s items of a post, to each of its connections. */
export function deliverMail(connections: Iterable<{ sendMail: (items: { id: number; body: Uint8Array; fanout: number }[]) => void }>, post: PostedMailLive, r: number): void {
  const items = post.ids[r]!.map((id, i) => ({ id, body: post.bodies[i]!, fanout: post.fanout }))
  for (const c of connections) c.sendMail(items)
}

/** [S10] Every connection joined to the conversation but `from` loses its join. */
export function revokeAll(targets: FanoutTargets, convKey: string, from?: JoinedPeer): void {
  for (const other of [...(targets.joins.get(convKey) ?? [])]) if (other !== from) other.revoke(convKey)
}

/** [S45] Every connection joined to the conversation but `from` gets the signal (or drops it, [S47]). */
export function relayAll(targets: FanoutTargets, conv: Uint8Array, body: Uint8Array, from?: JoinedPeer): void {
  const convKey = toBase64Url(conv)
  for (const other of targets.joins.get(convKey) ?? []) if (other !== from) other.relay(conv, convKey, body)
}
