import { Show } from 'solid-js'
import { CLIPS } from '../../core/stats/counts.js'
import { CLOSE_AFTER_DAYS, EPSILON_PER_METRIC_DAY, MIN_CELL } from '../../core/stats/release.js'

/**
 * [W38] "What your admins can see": for every member, in plain words, whether statistics are on,
 * what this device sends, what the admins see and what they cannot.
 */
export function AdminsCanSee(props: { on: boolean; collectorName?: string | undefined }) {
  return (
    <details class="admins-can-see">
      <summary>What your admins can see</summary>
      <Show when={props.on} fallback={<p>Usage statistics are <strong>off</strong> in this organisation: your device sends nothing about how you use the app. Your admins would see a notice here if they turned them on.</p>}>
        <p>
          Usage statistics are <strong>on</strong>, collected on {props.collectorName ?? 'an admin'}'s device. Once a day your device sends how many messages and files you sent, whether you used the app that day, and your calls and their minutes — no content, no names, no conversations and no one you wrote to. It sends them <strong>anonymously</strong>: a one-time token shows your admins' device that the report comes from a member, not from whom.
        </p>
      </Show>
      <p>Your admins see:</p>
      <ul>
        <li>totals for the whole organisation per day, week and month (people active, messages, files, storage, calls and call minutes), with random noise added so that no one person's day can be told from them (differential privacy, ε = {EPSILON_PER_METRIC_DAY} per number and day), and only for days ended {CLOSE_AFTER_DAYS} days ago or more;</li>
        <li>for managing devices: each device's last day of contact, app version and platform (so lost devices can be removed);</li>
        <li>versions and platforms in use, only where at least {MIN_CELL} devices share one;</li>
        <li>for each group of at least {MIN_CELL} people: its messages and how many of its people were active, per day, with the same noise (smaller groups are never broken down, and your device sends nothing about them);</li>
        <li>how many groups there are and their sizes, and how many invitations were accepted.</li>
      </ul>
      <p>
        Your admins cannot see: what anyone wrote, who talks to whom, how much any one person writes or calls, or when. A day counts at most {CLIPS.messages} messages, {CLIPS.files} files and {CLIPS.callMinutes} call minutes per device. The server sees none of this: it relays sealed items it cannot read.
      </p>
    </details>
  )
}
