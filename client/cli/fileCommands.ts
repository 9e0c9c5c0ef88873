import { rm } from 'node:fs/promises'
import { basename, resolve } from 'node:path'
import type { DisplayMessage, FileRef } from '../core/messenger.js'
import { parseBlobId, parseConvId, type ConvId } from '../../protocol/index.js'
import { nodeFileSink, nodeFileSource, exists } from '../node/files.js'
import { ClientError, ClientErrorCode } from '../core/errors.js'
import { FileRefused } from '../core/files/uploads.js'
import { arg, type Cli, type Command } from './context.js'
import { CliError, CliErrorCode, usageError } from './errors.js'
import { iso, lines, printLine, result } from './output.js'
import { verdictText } from '../core/scanner/verdict.js'
import { waitUploaded } from './waitUploaded.js'

/**
 * [A2][A3] Files from the command line: `send-file CONV PATH… [--caption TEXT]`, `files CONV`,
 * `get-file CONV FILE --out PATH`. With --json, progress is one JSON line per step
 * (`{"event":"progress",…}`) before the result document.
 */
export const fileCommands: Record<string, Command> = {
  async 'send-file'(cli, args) {
    cli.identity()
    const { messenger } = cli
    const id = conv(args[0])
    const paths = args.slice(1)
    if (!paths.length) throw usageError('send-file needs CONV and at least one PATH')
    const sources = await Promise.all(paths.map((p) => nodeFileSource(p).catch(() => Promise.reject(usageError(`cannot read ${p}`)))))
    try {
      messenger.start()
      await messenger.openConversation(id)
      const total = sources.reduce((n, s) => n + s.size, 0)
      // Progress from the start: while the files are encrypted (`preparing`, with `sealed`) the
      // upload is already going out; its id is known once they are queued.
      let upload: string | undefined
      let last = ''
      const report = () => {
        const u = messenger.uploads(id).find((x) => (upload ? x.id === upload : x.state === 'preparing'))
        if (!u && !upload) return
        const sent = u ? u.files.reduce((n, f) => n + f.sent, 0) : total
        const sealed = u?.state === 'preparing' ? u.files.reduce((n, f) => n + (f.sealed ?? 0), 0) : undefined
        const seen = `${sent}/${sealed}/${u?.state}`
        if (seen === last) return
        last = seen
        if (cli.options.json) printLine(true, '', { event: 'progress', upload: u?.id ?? upload, sent, total, state: u?.state ?? 'done', ...(sealed !== undefined ? { sealed } : {}), ...(u?.error ? { error: u.error } : {}) })
      }
      const off = messenger.events.on('uploads', report)
      try {
        upload = await messenger.sendFiles(id, sources.map((source, i) => ({ source, origin: resolve(paths[i]!), name: basename(paths[i]!), type: typeOfName(paths[i]!), ...(cli.options.acceptWarning ? { confirmed: true } : {}) })), cli.options.caption ?? '')
        await waitUploaded(cli, upload)
      } finally {
        off()
      }
      // The message was written (pending) before the upload left the queue: its delivery is all that is waited for.
      await cli.delivered({ messages: true, quietMs: 0 })
      const sent = messenger.messages(id).find((m) => m.tag === upload)
      return result(`sent ${paths.length} file${paths.length === 1 ? '' : 's'} (${total} bytes)`, { upload, message: sent?.id, files: (sent?.files ?? []).map(fileData) })
    } finally {
      await Promise.all(sources.map((s) => s.close().catch(() => undefined)))
    }
  },

  async 'retry-upload'(cli, args) {
    const { messenger } = cli
    const upload = queuedUpload(cli, arg(args, 0, 'UPLOAD'))
    messenger.start()
    messenger.retryUpload(upload)
    await waitUploaded(cli, upload)
    await cli.delivered({ messages: true, quietMs: 0 })
    return result(`sent upload ${upload}`, { upload })
  },

  async 'cancel-upload'(cli, args) {
    const upload = queuedUpload(cli, arg(args, 0, 'UPLOAD'))
    // Best effort on the server (its blob is collected as incomplete otherwise, protocol [B9]).
    await cli.connect().catch(() => undefined)
    await cli.messenger.cancelUpload(upload)
    return result(`cancelled upload ${upload}`, { upload })
  },

  async files(cli, args) {
    const { messenger } = cli
    const id = conv(args[0])
    await cli.connect().catch(() => undefined)
    await messenger.openConversation(id)
    if (cli.options.all) while (messenger.hasEarlier(id)) await messenger.loadEarlier(id)
    // [A4] The organisation scanner's verdict, when it has given one on this very content.
    const scans = messenger.fileVerdicts(id)
    const scanOf = (f: FileRef) => {
      const v = scans.get(f.blob)
      return v && v.sha256 === f.sha256 ? { scan: { result: v.result, scanner: v.scanner, ...(v.name ? { detail: v.name } : {}) } } : {}
    }
    const files = messenger.messages(id).flatMap((m) => (m.files ?? []).map((f) => ({ ...fileData(f), message: m.id, from: m.authorName, ts: m.ts, ...scanOf(f) })))
    const uploads = messenger.uploads(id).map((u) => ({ upload: u.id, state: u.state, ...(u.error ? { error: u.error } : {}), files: u.files }))
    const human = lines([
      ...files.map((f) => [f.file, f.name, `${f.size} bytes`, f.type, f.from, iso(f.ts), f.scan ? `checked by ${f.scan.scanner}: ${verdictText({ result: f.scan.result, ...(f.scan.detail ? { name: f.scan.detail } : {}) })}` : '']),
      ...uploads.flatMap((u) => u.files.map((f) => ['(uploading)', f.name, `${f.sent}/${f.size} bytes`, u.state])),
    ])
    return result(human, { conv: id, files, uploads })
  },

  async 'get-file'(cli, args) {
    const { messenger } = cli
    const id = conv(args[0])
    const blob = parseBlobId(arg(args, 1, 'FILE'))
    if (!blob) throw usageError(`not a file id: ${args[1]}`)
    const out = cli.options.out
    if (!out) throw usageError('get-file needs --out PATH')
    if (await exists(out)) throw usageError(`${out} exists; choose another --out`)
    // The file's message may be on this device already or arrive with the first frames: the
    // download starts as soon as it is here, without the quiet time of a full sync.
    cli.identity()
    messenger.start()
    await messenger.openConversation(id)
    await cli.connect({ until: () => fileIn(messenger.messages(id), blob) !== undefined })
    const ref = await findFile(cli, id, blob)
    const sink = await nodeFileSink(out)
    // One progress line per percent (and the last), not one per 64 KiB chunk.
    let shown = -1
    await messenger.downloadFile(id, ref, sink, {
      onProgress: (bytes) => {
        const pct = Math.floor((bytes * 100) / Math.max(1, ref.size))
        if (!cli.options.json || (pct === shown && bytes < ref.size)) return
        shown = pct
        printLine(true, '', { event: 'progress', file: blob, received: bytes, total: ref.size })
      },
    })
    // [H5] Checked before it is saved under its name: blocked → removed; warned → only with --accept-warning.
    const content = await nodeFileSource(sink.partPath)
    const verdict = await messenger.checkReceivedFile(id, ref, content).finally(() => content.close())
    if (verdict.level === 'block' || (verdict.level === 'warn' && !cli.options.acceptWarning)) {
      await rm(sink.partPath, { force: true })
      throw new FileRefused(verdict.level === 'block' ? ClientErrorCode.FILE_BLOCKED : ClientErrorCode.FILE_NEEDS_CONFIRMATION, verdict)
    }
    await sink.keep()
    return result(`saved ${ref.name} (${ref.size} bytes) to ${out}${verdict.level === 'warn' ? ` (warned: ${verdict.reasons.map((r) => r.text).join('; ')})` : ''}`, { file: blob, name: ref.name, type: ref.type, size: ref.size, sha256: ref.sha256, out, check: { level: verdict.level, reasons: verdict.reasons } })
  },
}

/** An upload queued on this device, by id. */
function queuedUpload(cli: Cli, id: string): string {
  cli.identity()
  if (!cli.messenger.uploads().some((u) => u.id === id)) throw usageError(`no queued upload ${id} on this device (see \`files CONV\`)`)
  return id
}

/** The file among the conversation's messages, loading earlier segments until it is found. */
async function findFile(cli: Cli, id: ConvId, blob: string): Promise<FileRef> {
  let ref = fileIn(cli.messenger.messages(id), blob)
  while (!ref && cli.messenger.hasEarlier(id)) {
    await cli.messenger.loadEarlier(id)
    ref = fileIn(cli.messenger.messages(id), blob)
  }
  if (!ref) throw new ClientError(ClientErrorCode.FILE_UNKNOWN, blob)
  return ref
}

const fileIn = (ms: readonly DisplayMessage[], blob: string) => ms.flatMap((m) => m.files ?? []).find((f) => f.blob === blob)

const fileData = (f: FileRef) => ({ file: f.blob, name: f.name, type: f.type, size: f.size, sha256: f.sha256, ...(f.thumb ? { thumbnail: true } : {}) })

function conv(input: string | undefined): ConvId {
  const id = parseConvId(input)
  if (!id) throw usageError(`not a conversation id: ${input ?? '(missing)'}`)
  return id
}

/** A declared type from the name (the receiver checks the content against it, [H…]). */
function typeOfName(path: string): string {
  const ext = path.toLowerCase().split('.').pop() ?? ''
  return TYPES[ext] ?? 'application/octet-stream'
}

const TYPES: Record<string, string> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp', heic: 'image/heic',
  mp4: 'video/mp4', mov: 'video/quicktime', webm: 'video/webm', mp3: 'audio/mpeg', m4a: 'audio/mp4', ogg: 'audio/ogg', wav: 'audio/wav',
  pdf: 'application/pdf', txt: 'text/plain', csv: 'text/csv', zip: 'application/zip', json: 'application/json',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
}
