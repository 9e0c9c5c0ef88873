import { createHash, randomBytes as nodeRandom } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { FILE_SEALED_CHUNK_BYTES, deriveCapability, toHex, type EpochKey } from '../../crypto/index.js'
import { blobIdBytes, idBytes, paddedChunkCount, type ConvId } from '../../protocol/index.js'
import { BlobClient } from '../../client/core/files/blobClient.js'
import { bytesSource, memorySink, type FileSource } from '../../client/core/files/source.js'
import { nodeSpool } from '../../client/node/fileSpool.js'
import { closePersona, persona, until, type Persona } from './helpers/clients.js'
import { useServer } from './helpers/lifecycle.js'
import { startTcpProxy, type TcpProxy } from './helpers/tcpProxy.js'
import { conversationWith } from './helpers/team.js'

/**
 * [A1]–[A3] Files between real devices through the real server process: resumable over cut
 * links, refused to a removed member, invisible in a copy of the server's data.
 */
const env = useServer()
const proxies: TcpProxy[] = []
afterAll(async () => Promise.all(proxies.map((p) => p.close())))

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
/** The blob files the server holds, by name. */
function blobFiles(): string[] {
  const out: string[] = []
  const root = join(env.server().dataDir, 'blobs')
  for (const d of readdirSync(root, { withFileTypes: true })) if (d.isDirectory()) out.push(...readdirSync(join(root, d.name)))
  return out.sort()
}
const MB = 1024 * 1024

async function proxied(name: string, opts: Parameters<typeof env.persona>[1] = {}): Promise<{ p: Persona; proxy: TcpProxy }> {
  const proxy = await startTcpProxy(env.server().port)
  proxies.push(proxy)
  const p = await persona(name, proxy.url, opts)
  return { p, proxy }
}

async function fileMessage(p: Persona, conv: ConvId, name: string) {
  await until(() => p.messenger.messages(conv).some((m) => m.files?.some((f) => f.name === name)), `${p.name} sees ${name}`, 60_000)
  return p.messenger.messages(conv).find((m) => m.files?.some((f) => f.name === name))!
}

test('[A2][A3][B5] a 50 MB file over links cut mid-upload and mid-download resumes where it stopped and arrives byte for byte', async () => {
  // PUTs of 2 MiB, so that what a cut can cost (two PUTs in flight, [A2]) stays well below a restart's 20 MB.
  const { p: alice, proxy: aliceLink } = await proxied('Alice', { uploadPutChunks: 32 })
  const { p: bob, proxy: bobLink } = await proxied('Bob')
  try {
    for (const x of [alice, bob]) x.messenger.start()
    const conv = await conversationWith(alice, [bob], 'Inspection')
    const content = new Uint8Array(nodeRandom(50 * MB))
    const upBefore = aliceLink.sent.up
    const cutUp = aliceLink.cutAfter(20 * MB, 'up')
    await alice.messenger.sendFiles(conv, [{ source: bytesSource(content), name: 'inspection.mp4', type: 'video/mp4', confirmed: true }], 'pump 3')
    await cutUp
    await until(() => alice.messenger.uploads(conv).length === 0, 'the upload finished after the cut', 120_000)
    // Resumed, not restarted: what crossed the link is the padded blob plus at most the two PUTs in
    // flight at the cut (4 MiB) and signalling; a restart would add the 20 MB sent before the cut.
    const padded = paddedChunkCount(Math.ceil(content.length / 65_536)) * FILE_SEALED_CHUNK_BYTES
    expect(aliceLink.sent.up - upBefore).toBeLessThan(padded + 8 * MB)

    const msg = await fileMessage(bob, conv, 'inspection.mp4')
    expect(msg.text).toBe('pump 3')
    const ref = msg.files![0]!
    expect(ref.size).toBe(content.length)
    const downBefore = bobLink.sent.down
    const cutDown = bobLink.cutAfter(15 * MB, 'down')
    const sink = memorySink()
    const got = bob.messenger.downloadFile(conv, ref, sink, { backoffMs: 50 })
    await cutDown
    await got
    expect(sink.finished).toBe(true)
    expect(sha(sink.bytes())).toBe(sha(content))
    // Resumed from the first chunk not yet opened: a restart would add the 15 MB again; what socket buffers held at the cut is fetched twice.
    expect(bobLink.sent.down - downBefore).toBeLessThan(800 * FILE_SEALED_CHUNK_BYTES + 8 * MB)
  } finally {
    await Promise.all([alice, bob].map(closePersona))
  }
}, 240_000)

test('[A3][K9][B3] a removed member can fetch no blob of the conversation after the rotation — old or new — with its old capability', async () => {
  const [admin, bob, eve] = await Promise.all(['Admin', 'Bob', 'Eve'].map((n) => env.persona(n)))
  for (const x of [admin!, bob!, eve!]) x.messenger.start()
  const conv = await conversationWith(admin!, [bob!, eve!], 'Crew')
  await admin!.messenger.sendFiles(conv, [{ source: bytesSource(new TextEncoder().encode('before removal')), name: 'old.txt', type: 'text/plain' }])
  const old = (await fileMessage(eve!, conv, 'old.txt')).files![0]!
  // Eve's modified client keeps what she held: the epoch key and the blob refs.
  const held = eve!.messenger.epochKeys(conv).at(-1)!
  const sink = memorySink()
  await eve!.messenger.downloadFile(conv, old, sink)
  expect(new TextDecoder().decode(sink.bytes())).toBe('before removal')

  await admin!.messenger.removeMember(conv, eve!.messenger.identity!.deviceId)
  await until(() => eve!.messenger.accessLost(conv), 'eve is cut off')
  await admin!.messenger.sendFiles(conv, [{ source: bytesSource(new TextEncoder().encode('after removal')), name: 'new.txt', type: 'text/plain' }])
  const fresh = (await fileMessage(bob!, conv, 'new.txt')).files![0]!

  const client = new BlobClient(env.server().url)
  const cap = deriveCapability(held.key as EpochKey, idBytes(conv), held.epoch)
  for (const epoch of [held.epoch, held.epoch + 1]) {
    const access = { conv, epoch, cap }
    for (const ref of [old, fresh]) {
      await expect(client.status(access, ref.blob)).rejects.toMatchObject({ code: 'M537_FILE_ACCESS' })
      await expect(client.read(access, ref.blob, 0)).rejects.toMatchObject({ code: 'M537_FILE_ACCESS' })
    }
  }
  // Bob, still a member, reads the new one.
  const ok = memorySink()
  await bob!.messenger.downloadFile(conv, fresh, ok)
  expect(new TextDecoder().decode(ok.bytes())).toBe('after removal')
}, 120_000)

test('[A2][F4][B1] a stolen copy of the data directory holds no file name, type, caption or plaintext; blobs are whole sealed chunks in padded counts', async () => {
  const [a, b] = await Promise.all(['Ann', 'Ben'].map((n) => env.persona(n)))
  for (const x of [a!, b!]) x.messenger.start()
  const conv = await conversationWith(a!, [b!], 'Quarterly')
  const marker = 'FIELDCHAT-PLAINTEXT-MARKER-7f3a'
  const content = new TextEncoder().encode(`${marker}\n`.repeat(3000))
  await a!.messenger.sendFiles(conv, [{ source: bytesSource(content), name: 'salaries-secret-2026.xlsx', type: 'application/vnd.ms-excel.secret-type', confirmed: true }], 'caption-secret-words')
  await fileMessage(b!, conv, 'salaries-secret-2026.xlsx')
  const needles = [marker, 'salaries-secret-2026', 'secret-type', 'caption-secret-words'].map((s) => Buffer.from(s))
  const files: string[] = []
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) (e.isDirectory() ? walk(join(dir, e.name)) : files.push(join(dir, e.name)))
  }
  walk(env.server().dataDir)
  const blobFiles = files.filter((f) => /blobs\//.test(f) && !/\.sqlite/.test(f))
  expect(blobFiles.length).toBeGreaterThan(0)
  for (const f of files) {
    const bytes = readFileSync(f)
    for (const n of needles) expect(bytes.includes(n), `${n} in ${f}`).toBe(false)
  }
  expect(Buffer.from(env.server().output()).includes(needles[1]!)).toBe(false)
  for (const f of blobFiles) {
    const size = statSync(f).size
    expect(size % FILE_SEALED_CHUNK_BYTES).toBe(0)
    expect(paddedChunkCount(size / FILE_SEALED_CHUNK_BYTES)).toBe(size / FILE_SEALED_CHUNK_BYTES)
  }
}, 120_000)

test('[A2] a file sent offline waits in the outbox, survives the device closing, and goes out when the link is back', async () => {
  const home = mkdtempSync(join(tmpdir(), 'fieldchat-offline-'))
  const spoolDir = join(home, 'spool')
  const proxy = await startTcpProxy(env.server().port)
  proxies.push(proxy)
  let carl = await persona('Carl', proxy.url, { file: join(home, 'device.sqlite'), spool: nodeSpool(spoolDir) })
  const dana = await env.persona('Dana')
  carl.messenger.start()
  dana.messenger.start()
  const conv = await conversationWith(carl, [dana], 'Field')
  proxy.online = false
  const content = new Uint8Array(nodeRandom(3 * MB + 17))
  await carl.messenger.sendFiles(conv, [{ source: bytesSource(content), name: 'offline.bin', type: 'application/octet-stream' }], 'from the basement')
  await until(() => carl.messenger.uploads(conv)[0]?.state === 'waiting', 'the upload waits for the network')
  expect(carl.messenger.status.pending).toBeGreaterThan(0)
  await closePersona(carl)
  // The sealed chunks are on disk (ciphertext), the record in the device's store.
  expect(readdirSync(spoolDir).length).toBe(1)
  carl = await persona('Carl', proxy.url, { file: join(home, 'device.sqlite'), spool: nodeSpool(spoolDir) })
  try {
    expect(carl.messenger.uploads(conv)).toHaveLength(1)
    carl.messenger.start()
    proxy.online = true
    carl.messenger.kick()
    const msg = await fileMessage(dana, conv, 'offline.bin')
    expect(msg.text).toBe('from the basement')
    const sink = memorySink()
    await dana.messenger.downloadFile(conv, msg.files![0]!, sink)
    expect(sha(sink.bytes())).toBe(sha(content))
    await until(() => readdirSync(spoolDir).length === 0, 'the spool is emptied once sent')
  } finally {
    await closePersona(carl)
  }
}, 120_000)

test('[F2][A3] a chunk altered on the server is refused on download (M533): nothing of the file is kept', async () => {
  const [a, b] = await Promise.all(['Ida', 'Jon'].map((n) => env.persona(n)))
  for (const x of [a!, b!]) x.messenger.start()
  const conv = await conversationWith(a!, [b!], 'Tamper')
  await a!.messenger.sendFiles(conv, [{ source: bytesSource(new Uint8Array(nodeRandom(300_000))), name: 'manual.pdf', type: 'application/pdf', confirmed: true }])
  const ref = (await fileMessage(b!, conv, 'manual.pdf')).files![0]!
  const files: string[] = []
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) (e.isDirectory() ? walk(join(dir, e.name)) : files.push(join(dir, e.name)))
  }
  walk(join(env.server().dataDir, 'blobs'))
  const blobFile = files.find((f) => f.endsWith(toHex(blobIdBytes(ref.blob))))
  expect(blobFile).toBeDefined()
  const bytes = readFileSync(blobFile!)
  bytes[FILE_SEALED_CHUNK_BYTES + 10]! ^= 0xff
  writeFileSync(blobFile!, bytes)
  const sink = memorySink()
  await expect(b!.messenger.downloadFile(conv, ref, sink)).rejects.toMatchObject({ code: 'M533_FILE_DAMAGED' })
  expect(sink.finished).toBe(false)
  expect(sink.bytes()).toHaveLength(0)
}, 120_000)

test('[H5][H8][T21][A2] the organisation\'s file policy on every device: a blocklisted file is not queued (M531), a warned one needs the second step (M532), and a receiver blocks what a modified client sent anyway', async () => {
  const [boss, kim] = await Promise.all(['Boss', 'Kim'].map((n) => env.persona(n)))
  for (const x of [boss!, kim!]) x.messenger.start()
  const conv = await conversationWith(boss!, [kim!], 'Policy')
  const bad = new TextEncoder().encode('a known-bad file body, blocklisted by hash')
  const badSha = sha(bad)
  // Sent before the policy: the receiver's check is what stops it later.
  await kim!.messenger.sendFiles(conv, [{ source: bytesSource(bad), name: 'harmless.txt', type: 'text/plain' }])
  const early = (await fileMessage(boss!, conv, 'harmless.txt')).files![0]!

  await boss!.messenger.team.setPolicy(conv, { blockHashes: [badSha], blockTypes: ['iso'] })
  await until(() => kim!.messenger.team.policy(conv).files?.blockedHashes.includes(badSha) === true, 'kim has the policy')

  await expect(kim!.messenger.sendFiles(conv, [{ source: bytesSource(bad), name: 'again.txt', type: 'text/plain' }])).rejects.toMatchObject({ code: 'M531_FILE_BLOCKED' })
  const iso = new Uint8Array(40_000)
  iso.set(new TextEncoder().encode('CD001'), 0x8001)
  await expect(kim!.messenger.sendFiles(conv, [{ source: bytesSource(iso), name: 'disk.iso', type: 'application/x-iso9660-image' }])).rejects.toMatchObject({ code: 'M531_FILE_BLOCKED' })
  const exe = new Uint8Array(4096)
  exe.set([0x4d, 0x5a], 0)
  new DataView(exe.buffer).setUint32(0x3c, 0x80, true)
  exe.set(new TextEncoder().encode('PE\0\0'), 0x80)
  await expect(kim!.messenger.sendFiles(conv, [{ source: bytesSource(exe), name: 'tool.exe', type: 'application/octet-stream' }])).rejects.toMatchObject({ code: 'M532_FILE_NEEDS_CONFIRMATION' })
  expect(kim!.messenger.uploads(conv)).toEqual([])
  await kim!.messenger.sendFiles(conv, [{ source: bytesSource(exe), name: 'tool.exe', type: 'application/octet-stream', confirmed: true }])
  await fileMessage(boss!, conv, 'tool.exe')

  const sink = memorySink()
  await boss!.messenger.downloadFile(conv, early, sink)
  const verdict = await boss!.messenger.checkReceivedFile(conv, early, bytesSource(sink.bytes()))
  expect(verdict.level).toBe('block')
  expect(verdict.reasons.map((r) => r.code)).toContain('H203_BLOCKLISTED')
}, 120_000)

test('[M30][A2] a device removed while a file of the conversation waits in its outbox wipes the upload too: no record with the file\'s key, no sealed chunks in the spool', async () => {
  const home = mkdtempSync(join(tmpdir(), 'fieldchat-wipe-upload-'))
  const spoolDir = join(home, 'spool')
  const link = await startTcpProxy(env.server().port)
  proxies.push(link)
  const admin = await env.persona('Wanda')
  const eve = await persona('Eve2', link.url, { file: join(home, 'device.sqlite'), spool: nodeSpool(spoolDir) })
  try {
    admin.messenger.start()
    eve.messenger.start()
    const conv = await conversationWith(admin, [eve], 'Leavers')
    link.online = false
    await eve.messenger.sendFiles(conv, [{ source: bytesSource(new Uint8Array(nodeRandom(200_000))), name: 'notes.bin', type: 'application/octet-stream' }])
    await until(() => eve.messenger.uploads(conv)[0]?.state === 'waiting', 'the upload waits offline')
    expect(await eve.store.range(['upload'])).toHaveLength(1)
    expect(readdirSync(spoolDir)).toHaveLength(1)

    await admin.messenger.removeMember(conv, eve.messenger.identity!.deviceId)
    link.online = true
    eve.messenger.kick()
    await until(() => eve.messenger.wiped().some((w) => w.org === conv && !w.pending), 'eve\'s device wipes the conversation', 60_000)
    await eve.messenger.wipesSettled()
    expect(eve.messenger.uploads()).toEqual([])
    expect(await eve.store.range(['upload'])).toEqual([])
    await until(() => readdirSync(spoolDir).length === 0, 'the sealed chunks are gone from the spool')
  } finally {
    await closePersona(eve)
  }
}, 120_000)

/**
 * A file source that holds its reading at `pauseAt` bytes until `resume()` is true (polled):
 * sealing stops there, so what crosses the link meanwhile can only be an early upload.
 */
function pausingSource(content: Uint8Array, pauseAt: number, resume: () => boolean): FileSource {
  const inner = bytesSource(content)
  return {
    size: inner.size,
    async read(offset, length) {
      if (offset + length > pauseAt) await until(resume, 'the sealed part crossed the link while sealing was held', 60_000)
      return inner.read(offset, length)
    },
  }
}

test('[A2] a large file crosses the link while it is still being sealed; a file the checks refuse once sealed leaves nothing on the server', async () => {
  const link = await startTcpProxy(env.server().port)
  proxies.push(link)
  // PUTs of 1 MiB: sealing is held at 6 MiB until 3 MiB of it have crossed the link.
  const sender = await persona('Sealer', link.url, { uploadPutChunks: 16 })
  const bob = await env.persona('Bob3')
  try {
    for (const x of [sender, bob]) x.messenger.start()
    const conv = await conversationWith(sender, [bob], 'Early')
    const content = new Uint8Array(nodeRandom(12 * MB))
    let before = link.sent.up
    await sender.messenger.sendFiles(conv, [{ source: pausingSource(content, 6 * MB, () => link.sent.up - before > 3 * MB), name: 'walkround.mp4', type: 'video/mp4', confirmed: true }])
    await until(() => sender.messenger.uploads(conv).length === 0, 'the upload finished', 60_000)
    const ref = (await fileMessage(bob, conv, 'walkround.mp4')).files![0]!
    const sink = memorySink()
    await bob.messenger.downloadFile(conv, ref, sink)
    expect(sha(sink.bytes())).toBe(sha(content))

    // Refused by the checks only once sealed (its hash is blocklisted): what went out early is deleted.
    const bad = new Uint8Array(nodeRandom(12 * MB))
    await sender.messenger.team.setPolicy(conv, { blockHashes: [sha(bad)] })
    await until(() => sender.messenger.team.policy(conv).files?.blockedHashes.includes(sha(bad)) === true, 'the policy is in force')
    const stored = blobFiles()
    before = link.sent.up
    await expect(sender.messenger.sendFiles(conv, [{ source: pausingSource(bad, 6 * MB, () => link.sent.up - before > 3 * MB), name: 'bad.bin', type: 'application/octet-stream', confirmed: true }])).rejects.toMatchObject({ code: 'M531_FILE_BLOCKED' })
    expect(link.sent.up - before).toBeGreaterThan(3 * MB)
    expect(blobFiles()).toEqual(stored)
    expect(sender.messenger.uploads(conv)).toEqual([])
  } finally {
    await closePersona(sender)
  }
}, 180_000)

test('[A2] a file being sealed shows at once as preparing, with what is sealed and what crossed the link; Cancel stops it (M538): nothing recorded or spooled, and its blob is gone from the server', async () => {
  const link = await startTcpProxy(env.server().port)
  proxies.push(link)
  const spoolDir = mkdtempSync(join(tmpdir(), 'fieldchat-spool-'))
  const sender = await persona('Preparer', link.url, { uploadPutChunks: 16, spool: nodeSpool(spoolDir) })
  const bob = await env.persona('Bob4')
  try {
    for (const x of [sender, bob]) x.messenger.start()
    const conv = await conversationWith(sender, [bob], 'Prepared')
    const stored = blobFiles()
    const content = new Uint8Array(nodeRandom(12 * MB))
    const before = link.sent.up
    let release = false
    const sending = sender.messenger.sendFiles(conv, [{ source: pausingSource(content, 6 * MB, () => release), name: 'survey.mp4', type: 'video/mp4', confirmed: true }], 'the survey')
    sending.catch(() => undefined)
    // Shown before sealing ends: its name, size and caption, what is sealed, then what the server holds.
    await until(() => (sender.messenger.uploads(conv)[0]?.files[0]?.sent ?? 0) >= 3 * MB, 'the preparing upload shows what crossed the link', 60_000)
    const [shown] = sender.messenger.uploads(conv)
    expect(shown).toMatchObject({ state: 'preparing', caption: 'the survey', files: [{ name: 'survey.mp4', size: content.length }] })
    expect(shown!.files[0]!.sealed).toBeGreaterThanOrEqual(shown!.files[0]!.sent)
    expect(shown!.files[0]!.sealed).toBeLessThanOrEqual(6 * MB)
    expect(link.sent.up - before).toBeGreaterThan(3 * MB)

    await sender.messenger.cancelUpload(shown!.id)
    release = true
    await expect(sending).rejects.toMatchObject({ code: 'M538_UPLOAD_CANCELLED' })
    expect(sender.messenger.uploads(conv)).toEqual([])
    expect(await sender.store.range(['upload'])).toEqual([])
    expect(readdirSync(spoolDir)).toEqual([])
    await until(() => blobFiles().join() === stored.join(), 'what went out early is deleted from the server')
  } finally {
    await closePersona(sender)
  }
}, 180_000)

test('[M44][A2] a photo forwarded to another conversation is sealed anew for it: a member of that one only opens it byte for byte, and it is marked forwarded', async () => {
  const [ann, bea, cy] = await Promise.all(['Ann', 'Bea', 'Cy'].map((n) => env.persona(n)))
  for (const x of [ann!, bea!, cy!]) x.messenger.start()
  const site = await conversationWith(ann!, [bea!], 'Site A')
  const office = await conversationWith(ann!, [cy!], 'Office')
  const content = new Uint8Array(nodeRandom(3 * MB + 12_345)) // several ranged reads of the source
  await bea!.messenger.sendFiles(site, [{ source: bytesSource(content), name: 'crack.jpg', type: 'image/jpeg', thumb: 'AAAA', width: 640, height: 480, confirmed: true }], 'crack in the wall')
  const original = await fileMessage(ann!, site, 'crack.jpg')
  const sent = await ann!.messenger.forward(site, original.ref, office, { confirmed: true })
  expect(sent.upload).toBeDefined()
  expect(sent.message).toBeUndefined()
  const fwd = await fileMessage(cy!, office, 'crack.jpg')
  expect(fwd).toMatchObject({ text: 'crack in the wall', fwd: true, authorName: 'Ann' })
  const [was, now] = [original.files![0]!, fwd.files![0]!]
  expect(now).toMatchObject({ name: 'crack.jpg', type: 'image/jpeg', size: content.length, sha256: sha(content), thumb: 'AAAA', width: 640, height: 480 })
  // A new blob under a new key: nothing points back to the source conversation's.
  expect(now.blob).not.toBe(was.blob)
  expect(Buffer.from(now.secret.key).equals(Buffer.from(was.secret.key))).toBe(false)
  const sink = memorySink()
  await cy!.messenger.downloadFile(office, now, sink)
  expect(sha(sink.bytes())).toBe(sha(content))
  // Cy is not in Site A: its blob is not his to read.
  await expect(cy!.messenger.downloadFile(site, was, memorySink())).rejects.toMatchObject({ code: expect.stringMatching(/^M5/) })
  expect([ann!, bea!, cy!].flatMap((p) => p.problems)).toEqual([])
}, 120_000)
