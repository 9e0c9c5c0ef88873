import { join } from 'node:path'
import { lastJson, runChild, type ChildOptions, type ChildRun } from './child.js'

/** A CLI home (one device) on one server; each command its own process, as a script runs it. */
export interface Device {
  readonly dir: string
  run(args: readonly string[], options?: ChildOptions): Promise<ChildRun>
}

export function device(cliJs: string, dir: string, serverUrl: string): Device {
  return { dir, run: (args, options) => runChild(cliJs, ['--home', dir, '--server', serverUrl, '--json', ...args], options) }
}

/**
 * Two devices in one conversation, as tests/integration/cli.conversation does it: the sender
 * creates it, the receiver answers the one-time link, the sender's `sync` admits the answer,
 * and the receiver's second `join` finds itself admitted.
 */
export async function twoDevices(cliJs: string, work: string, serverUrl: string): Promise<{ sender: Device; receiver: Device; conv: string }> {
  const sender = device(cliJs, join(work, 'sender'), serverUrl)
  const receiver = device(cliJs, join(work, 'receiver'), serverUrl)
  const ok = async (d: Device, args: string[]) => lastJson<Record<string, unknown>>(await d.run(args), `\`${args.join(' ')}\``)
  await Promise.all([ok(sender, ['init', '--name', 'Sender']), ok(receiver, ['init', '--name', 'Receiver'])])
  const { conv, link } = (await ok(sender, ['create', '--title', 'bench files'])) as { conv: string; link: string }
  await ok(receiver, ['--timeout', '3', 'join', link])
  await ok(sender, ['sync'])
  const joined = await ok(receiver, ['join', link])
  if (joined.status !== 'admitted') throw new Error(`the receiver was not admitted: ${JSON.stringify(joined)}`)
  return { sender, receiver, conv }
}
