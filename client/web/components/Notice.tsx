import type { JSX } from 'solid-js'

/** A full-screen message instead of the app: another tab has it, or local data cannot be read. */
export function Notice(props: { title: string; alert?: boolean; children: JSX.Element }) {
  return (
    <main class="shell notice">
      <section class="card" role={props.alert ? 'alert' : undefined}>
        <h1>{props.title}</h1>
        {props.children}
      </section>
    </main>
  )
}
