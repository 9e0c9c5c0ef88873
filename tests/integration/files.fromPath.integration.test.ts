import { createHash, randomBytes as nodeRandom } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { FILE_SEALED_CHUNK_BYTES } from '../../crypto/index.js'
import { paddedChunkCount, type ConvId } from '../../protocol/index.js'
import { memorySink } from '../../client/core/files/source.js'
import { nodeSpool } from '../../client/node/fileSpool.js'
import { nodeFileSource } from '../../client/node/files.js'
import { closePersona, persona, until, type Persona } from './helpers/clients.js'
import { useServer } from './helpers/lifecycle.js'
import { startTcpProxy, type TcpProxy } from './helpers/tcpProxy.js'
import { conversationWith } from './helpers/team.js'

/**
 * [A2] crypto [F3] Files sent from their path (the CLI): no sealed copy in the spool; every chunk
 * that goes out again is sealed again from the file and let out only when it is the very chunk
 * sealed before. Through the real server, over a proxy that cuts and drops the link.
 */
const env = useServer()
const proxies: TcpProxy[] = []
afterAll(async () => Promise.all(proxies.map((p) => p.close())))

const MB = 1024 * 1024
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

interface Sender {
  readonly p: Persona
  readonly proxy: TcpProxy
  readonly spoolDir: string
  readonly file: string
  readonly reopen: () => Promise<Persona>
}

/** A device behind its own proxy with a spool on disk and a store on disk, so it can be closed and opened again. */
async function sender(name: string): Promise<Sender> {
  const home = mkdtempSync(join(tmpdir(), `fieldchat-path-${name}-`))
  const spoolDir = join(home, 'spool')
  const proxy = await startTcpProxy(env.server().port)
  proxies.push(proxy)
  const open = () => persona(name, proxy.url, { file: join(home, 'device.sqlite'), spool: nodeSpool(spoolDir), reopenFile: nodeFileSource, uploadPutChunks: 32 })
  return { p: await open(), proxy, spoolDir, file: join(home, 'outgoing.bin'), reopen: open }
}

const spooled = (dir: string) => (existsSync(dir) ? readdirSync(dir) : [])

/** Sends `path` as the CLI does: read through a file handle, with its path as the origin. */
async function sendFromPath(p: Persona, conv: ConvId, path: string, name: string): Promise<{ upload: string; close: () => Promise<void> }> {
  const source = await nodeFileSource(path)
  const upload = await p.messenger.sendFiles(conv, [{ source, origin: path, name, type: 'application/octet-stream' }], name)
  return { upload, close: () => source.close() }
}

/** Sends `bytes` random bytes from `s`'s file to `bob` and drops `s`'s link once `cutMb` went up, half-way. */
async function halfSent(s: Sender, bob: Persona, title: string, bytes: number, cutMb: number, name: string) {
  for (const x of [s.p, bob]) x.messenger.start()
  const conv = await conversationWith(s.p, [bob], title)
  const content = new Uint8Array(nodeRandom(bytes))
  writeFileSync(s.file, content)
  const cut = s.proxy.cutAfter(cutMb * MB, 'up')
  const sent = await sendFromPath(s.p, conv, s.file, name)
  await cut
  s.proxy.online = false
  await until(() => s.p.messenger.uploads(conv)[0]?.state === 'waiting', 'the upload waits for the link')
  return { conv, content, sent }
}

async function received(p: Persona, conv: ConvId, name: string): Promise<Uint8Array> {
  await until(() => p.messenger.messages(conv).some((m) => m.files?.some((f) => f.name === name)), `${p.name} sees ${name}`, 60_000)
  const ref = p.messenger.messages(conv).find((m) => m.files?.some((f) => f.name === name))!.files![0]!
  const sink = memorySink()
  await p.messenger.downloadFile(conv, ref, sink)
  return sink.bytes()
}

test('[A2][F3] sent from its path, a file keeps no sealed copy: cut mid-upload, it is sealed again from the file, resumes where it stopped and arrives byte for byte', async () => {
  const s = await sender('Pia')
  const bob = await env.persona('Bob')
  try {
    for (const x of [s.p, bob]) x.messenger.start()
    const conv = await conversationWith(s.p, [bob], 'Pumps')
    const content = new Uint8Array(nodeRandom(30 * MB + 12_345))
    writeFileSync(s.file, content)
    const before = s.proxy.sent.up
    const cut = s.proxy.cutAfter(10 * MB, 'up')
    const sent = await sendFromPath(s.p, conv, s.file, 'pump.bin')
    // Queued and recorded, yet nothing sealed is kept on disk: only the chunks' tags, in the store.
    expect(spooled(s.spoolDir)).toEqual([])
    await cut
    await until(() => s.p.messenger.uploads(conv).length === 0, 'the upload finished after the cut', 120_000)
    await sent.close()
    const padded = paddedChunkCount(Math.ceil(content.length / 65_536)) * FILE_SEALED_CHUNK_BYTES
    // Resumed, not restarted: the padded blob plus at most the PUTs in flight at the cut.
    expect(s.proxy.sent.up - before).toBeLessThan(padded + 8 * MB)
    expect(sha(await received(bob, conv, 'pump.bin'))).toBe(sha(content))
    expect(spooled(s.spoolDir)).toEqual([])
    // The tags went with the record.
    expect((await s.p.store.range(['upload-tags'])).length).toBe(0)
  } finally {
    await Promise.all([s.p, bob].map(closePersona))
  }
}, 180_000)

test('[A2][F3] a file changed on disk before its upload resumes is refused (M540): no chunk of the new content reaches the server, and Retry with the file put back sends the original', async () => {
  const s = await sender('Quinn')
  const bob = await env.persona('Bob')
  try {
    const { conv, content, sent } = await halfSent(s, bob, 'Valves', 24 * MB + 1, 6, 'valve.bin')
    // One bit flipped near the end, in a chunk the server cannot have yet.
    const changed = Uint8Array.from(content)
    changed[changed.length - 100]! ^= 0x40
    writeFileSync(s.file, changed)
    s.proxy.online = true
    s.p.messenger.kick()
    await until(() => s.p.messenger.uploads(conv)[0]?.state === 'failed', 'the upload fails')
    expect(s.p.messenger.uploads(conv)[0]!.error).toBe('M540_FILE_CHANGED')
    // The chunks before the changed one went out (sealed again and found equal); the server holds
    // none from the changed one on.
    const at = content.length - 100
    expect(s.p.messenger.uploads(conv)[0]!.files[0]!.sent).toBeLessThanOrEqual(Math.floor(at / 65_536) * 65_536)
    expect(bob.messenger.messages(conv).some((m) => m.files?.length)).toBe(false)

    // Shortened: refused the same way (the size no longer matches).
    truncateSync(s.file, content.length - 1)
    s.p.messenger.retryUpload(s.p.messenger.uploads(conv)[0]!.id)
    await until(() => s.p.messenger.uploads(conv)[0]?.state === 'failed', 'the upload fails again')
    expect(s.p.messenger.uploads(conv)[0]!.error).toBe('M540_FILE_CHANGED')

    // The file as it was: Retry sends it, and the receiver gets the original bytes, checked
    // against the content hash: had any chunk of the changed content reached the server (it
    // would open under the same key and nonce), the download would be refused (M533).
    writeFileSync(s.file, content)
    s.p.messenger.retryUpload(s.p.messenger.uploads(conv)[0]!.id)
    expect(sha(await received(bob, conv, 'valve.bin'))).toBe(sha(content))
    await sent.close()
  } finally {
    await Promise.all([s.p, bob].map(closePersona))
  }
}, 180_000)

test('[A2][F3] stopped before its upload ends, a file sent from its path is first sealed again into the spool: the file deleted, the device reopened, it still goes out byte for byte', async () => {
  const s = await sender('Rosa')
  const bob = await env.persona('Bob')
  let reopened: Persona | undefined
  try {
    const { conv, content, sent } = await halfSent(s, bob, 'Night shift', 12 * MB + 777, 4, 'report.bin')
    await sent.close()
    await closePersona(s.p)
    // The whole file sealed into the spool (ciphertext only), the record no longer naming the path.
    const entries = spooled(s.spoolDir)
    expect(entries).toHaveLength(1)
    expect(statSync(join(s.spoolDir, entries[0]!)).size).toBe(Math.ceil(content.length / 65_536) * FILE_SEALED_CHUNK_BYTES)
    expect(readFileSync(join(s.spoolDir, entries[0]!)).includes(Buffer.from(content.subarray(0, 64)))).toBe(false)
    rmSync(s.file)

    reopened = await s.reopen()
    expect((await reopened.store.range(['upload-tags'])).length).toBe(0)
    reopened.messenger.start()
    s.proxy.online = true
    reopened.messenger.kick()
    expect(sha(await received(bob, conv, 'report.bin'))).toBe(sha(content))
    await until(() => spooled(s.spoolDir).length === 0, 'the spool is emptied once sent')
  } finally {
    await Promise.all([reopened ?? s.p, bob].map((p) => closePersona(p).catch(() => undefined)))
  }
}, 180_000)

test('[A2][F3] a file changed before the device stops is not sealed into the spool: the upload fails with M540 and nothing of it is left in the spool; Cancel of one sent from its path leaves no record, tags or spool entry', async () => {
  const s = await sender('Sam')
  const bob = await env.persona('Bob')
  let reopened: Persona | undefined
  try {
    const { conv, content, sent } = await halfSent(s, bob, 'Pipes', 9 * MB + 3, 3, 'pipes.bin')
    await sent.close()
    const changed = Uint8Array.from(content)
    changed[5 * MB]! ^= 0x01
    writeFileSync(s.file, changed)
    await closePersona(s.p)
    expect(spooled(s.spoolDir)).toEqual([])
    reopened = await s.reopen()
    const [u] = reopened.messenger.uploads(conv)
    expect(u).toMatchObject({ state: 'failed', error: 'M540_FILE_CHANGED' })
    // Cancel: the record, the tags and anything spooled go with it.
    await reopened.messenger.cancelUpload(u!.id)
    expect(reopened.messenger.uploads(conv)).toEqual([])
    expect(await reopened.store.range(['upload-tags'])).toEqual([])
    expect(await reopened.store.range(['upload'])).toEqual([])
    expect(spooled(s.spoolDir)).toEqual([])
  } finally {
    await Promise.all([reopened ?? s.p, bob].map((p) => closePersona(p).catch(() => undefined)))
  }
}, 180_000)

test('[A2] several files sent from their paths in one message, over a cut link, all arrive byte for byte; tags without a record are removed at start', async () => {
  const s = await sender('Tara')
  const bob = await env.persona('Bob')
  let reopened: Persona | undefined
  try {
    for (const x of [s.p, bob]) x.messenger.start()
    const conv = await conversationWith(s.p, [bob], 'Photos')
    const contents = [5 * MB + 1, 64 * 1024, 7 * MB + 9].map((n) => new Uint8Array(nodeRandom(n)))
    const paths = contents.map((c, i) => {
      const path = `${s.file}.${i}`
      writeFileSync(path, c)
      return path
    })
    const sources = await Promise.all(paths.map((p) => nodeFileSource(p)))
    const cut = s.proxy.cutAfter(4 * MB, 'up')
    await s.p.messenger.sendFiles(conv, sources.map((source, i) => ({ source, origin: paths[i]!, name: `part${i}.bin`, type: 'application/octet-stream' })), 'three parts')
    expect(spooled(s.spoolDir)).toEqual([])
    await cut
    await until(() => s.p.messenger.uploads(conv).length === 0, 'the upload finished after the cut', 120_000)
    await Promise.all(sources.map((x) => x.close()))
    const msg = await until(() => bob.messenger.messages(conv).some((m) => m.files?.length === 3), 'bob sees the three files', 60_000).then(() => bob.messenger.messages(conv).find((m) => m.files?.length === 3)!)
    for (const [i, ref] of msg.files!.entries()) {
      const sink = memorySink()
      await bob.messenger.downloadFile(conv, ref, sink)
      expect(sha(sink.bytes()), ref.name).toBe(sha(contents[Number(ref.name.slice(4, 5))]!))
      expect(ref.name).toBe(`part${i}.bin`)
    }
    // A crash between deleting a record and its tags cannot happen (one write), but tags left by
    // an older build or a damaged store are removed when the uploads load.
    await s.p.store.write([{ key: ['upload-tags', conv, 'ghost', '0'], value: new Uint8Array(16) }])
    await closePersona(s.p)
    reopened = await s.reopen()
    expect(await reopened.store.range(['upload-tags'])).toEqual([])
  } finally {
    await Promise.all([reopened ?? s.p, bob].map((p) => closePersona(p).catch(() => undefined)))
  }
}, 180_000)
