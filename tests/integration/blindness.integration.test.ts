import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { toBase64Url, toHex } from '../../crypto/index.js'
import { texts, until, type Persona } from './helpers/clients.js'
import { useServer } from './helpers/lifecycle.js'

const env = useServer()
const server = () => env.server()
/** Personas are closed by useServer after the file's tests. */
const people: Persona[] = []
const persona = async (name: string, _url?: string, options?: Parameters<typeof env.persona>[1]) => env.persona(name, options)

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })
}

test('[§7] after a scripted conversation the server data folder and logs hold no plaintext, name or key', async () => {
  const names = ['Quinta Marker-Name-7731', 'Rafferty Marker-Name-8842', 'Sybil Marker-Name-9953']
  people.push(...(await Promise.all(names.map((n) => persona(n, server().url)))))
  const [a, b, c] = people as [Persona, Persona, Persona]
  for (const p of people) p.messenger.start()
  const title = 'Marker-Title-Falcon-Depot'
  const conv = await a.messenger.createConversation(title)
  const links: string[] = []
  for (const p of [b, c]) {
    const { link } = await a.messenger.invite(conv, 'http://localhost')
    links.push(link)
    await p.messenger.join(link)
  }
  await until(() => people.every((p) => p.messenger.conversations().some((x) => x.conv === conv && x.members === 3)), 'everyone admitted')
  await Promise.all(people.map((p) => p.messenger.openConversation(conv)))
  const markers = [title, ...names]
  for (let i = 0; i < 30; i++) {
    const text = `Marker-Message-${i}-${'secret payroll figures '.repeat(i % 4)}`
    markers.push(`Marker-Message-${i}-`)
    await people[i % 3]!.messenger.send(conv, text)
  }
  await until(() => people.every((p) => texts(p, conv).length === 30 && p.messenger.status.pending === 0), 'delivery')
  await server().kill('SIGTERM') // flush the WAL into the main file as a real shutdown would
  await server().restart()
  await server().kill('SIGKILL')

  // Every epoch key of the conversation (its creation, and the rotation of each admission).
  const secrets: [string, Uint8Array][] = a.messenger.epochKeys(conv).map((k) => [`epoch key ${k.epoch}`, k.key])
  expect(secrets.length).toBeGreaterThan(1)
  for (const p of people) {
    secrets.push([`${p.name} sign secret`, p.messenger.identity!.keys.signSecret.subarray(0, 32)])
    secrets.push([`${p.name} box secret`, p.messenger.identity!.keys.boxSecret])
  }
  const needles: [string, Buffer][] = []
  for (const m of markers) needles.push([m, Buffer.from(m)], [`${m} (utf16)`, Buffer.from(m, 'utf16le')])
  for (const [what, bytes] of secrets) {
    needles.push([what, Buffer.from(bytes)], [`${what} hex`, Buffer.from(toHex(bytes))], [`${what} b64url`, Buffer.from(toBase64Url(bytes))], [`${what} b64`, Buffer.from(Buffer.from(bytes).toString('base64').replace(/=+$/, ''))])
  }
  for (const l of links) needles.push(['invitation fragment', Buffer.from(l.split('#')[1]!)])

  const files = filesUnder(server().dataDir)
  expect(files.some((f) => f.endsWith('sync.sqlite'))).toBe(true)
  const haystacks: [string, Buffer][] = [...files.map((f) => [f, readFileSync(f)] as [string, Buffer]), ['server log', Buffer.from(server().output())]]
  // The scan reads the real store: what the server may see (the random conversation id) is there.
  expect(haystacks.some(([, h]) => h.includes(Buffer.from(conv, 'base64url')))).toBe(true)
  const leaks: string[] = []
  for (const [where, hay] of haystacks) for (const [what, needle] of needles) if (hay.includes(needle)) leaks.push(`${what} in ${where}`)
  expect(leaks).toEqual([])
})

test('[§7][T13] after an organisation is run (enrolment, groups, a removal) the server data holds no name, role, member list or key', async () => {
  await server().restart()
  const names = ['Ulla Marker-Person-1187', 'Viggo Marker-Person-2298', 'Wanda Marker-Person-3309']
  const [admin, bob, carol] = await Promise.all(names.map((n) => persona(n)))
  for (const p of [admin!, bob!, carol!]) p.messenger.start()
  const orgName = 'Marker-Org-Heron-Logistics'
  const groupName = 'Marker-Group-Night-Yard'
  const org = await admin!.messenger.team.createOrg(orgName)
  const links: string[] = []
  for (const p of [bob!, carol!]) {
    const { link } = await admin!.messenger.team.invite(org, 'http://localhost')
    links.push(link)
    await p.messenger.team.acceptInvite(link)
  }
  await until(() => [admin!, bob!, carol!].every((p) => p.messenger.team.directory(org).length === 3), 'enrolled')
  const group = await admin!.messenger.team.createGroup(org, groupName)
  const user = (p: Persona) => p.messenger.team.directory(org).find((e) => e.me)!.user
  await admin!.messenger.team.addToGroup(group, [user(bob!), user(carol!)])
  await until(() => carol!.messenger.conversations().some((c) => c.conv === group), 'carol in the group')
  await carol!.messenger.openConversation(group)
  await carol!.messenger.send(group, 'Marker-Group-Message-Quay')
  await admin!.messenger.team.removeFromGroup(group, user(bob!))
  await until(() => bob!.messenger.accessLost(group) && [admin!, carol!].every((p) => p.messenger.status.pending === 0), 'removal delivered')
  await server().kill('SIGTERM')
  await server().restart()
  await server().kill('SIGKILL')

  const markers = [orgName, groupName, ...names, 'Marker-Group-Message-Quay']
  const needles: [string, Buffer][] = []
  for (const m of markers) needles.push([m, Buffer.from(m)], [`${m} (utf16)`, Buffer.from(m, 'utf16le')])
  // No user id (the directory's member list), and no epoch key of any device.
  for (const p of [admin!, bob!, carol!]) needles.push([`${p.name} user id`, Buffer.from(user(p))])
  for (const k of carol!.messenger.epochKeys(group)) needles.push([`group epoch key ${k.epoch}`, Buffer.from(k.key)])
  for (const l of links) needles.push(['invitation secret', Buffer.from(l.split('#')[1]!)])
  const files = filesUnder(server().dataDir)
  const haystacks: [string, Buffer][] = [...files.map((f) => [f, readFileSync(f)] as [string, Buffer]), ['server log', Buffer.from(server().output())]]
  const leaks: string[] = []
  for (const [where, hay] of haystacks) for (const [what, needle] of needles) if (hay.includes(needle)) leaks.push(`${what} in ${where}`)
  expect(leaks).toEqual([])
})
