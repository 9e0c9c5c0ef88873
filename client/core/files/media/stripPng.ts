import type { FileSource } from '../source.js'
import { ByteReader } from './byteReader.js'
import { splicedSource, type Piece } from './spliced.js'
import { refuse, StripRefusal, type StripResult } from './stripResult.js'

/** Chunks a PNG may have before the walk gives up (a bound on the work, far above real files). */
export const MAX_PNG_CHUNKS = 1_000_000
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
/** Chunks that carry text, EXIF or a timestamp rather than pixels or colour. */
export const PNG_METADATA_CHUNKS: ReadonlySet<string> = new Set(['eXIf', 'tEXt', 'zTXt', 'iTXt', 'tIME'])
const MAX_CHUNK_LENGTH = 2 ** 31 - 1

/**
 * [W1] A PNG without its text, EXIF and time chunks, byte for byte otherwise: only the chunk
 * headers are read (12 bytes each), never the image data; all after IEND is dropped.
 */
export async function stripPng(source: FileSource): Promise<StripResult> {
  const r = new ByteReader(source)
  const head = await r.slice(0, 8)
  if (!head || !SIGNATURE.every((b, i) => head[i] === b)) return refuse(StripRefusal.UNSUPPORTED, 'not a PNG')
  const pieces: Piece[] = [{ from: 0, to: 8 }]
  const removed = new Set<string>()
  let pos = 8
  for (let n = 0; ; n++) {
    if (n >= MAX_PNG_CHUNKS) return refuse(StripRefusal.TOO_COMPLEX, `more than ${MAX_PNG_CHUNKS} chunks`)
    const length = await r.u32(pos)
    const typeBytes = await r.slice(pos + 4, 4)
    if (length === undefined || !typeBytes) return refuse(StripRefusal.TRUNCATED, `ends at ${pos} before IEND`)
    const type = String.fromCharCode(...typeBytes)
    if (!/^[A-Za-z]{4}$/.test(type) || length > MAX_CHUNK_LENGTH) return refuse(StripRefusal.MALFORMED, `chunk at ${pos}`)
    if (n === 0 && type !== 'IHDR') return refuse(StripRefusal.MALFORMED, 'the first chunk is not IHDR')
    const end = pos + 12 + length
    if (end > source.size) return refuse(StripRefusal.TRUNCATED, `the ${type} chunk at ${pos} runs past the end`)
    if (PNG_METADATA_CHUNKS.has(type)) removed.add(type)
    else pieces.push({ from: pos, to: end })
    pos = end
    if (type === 'IEND') break
  }
  if (pos < source.size) removed.add('trailing data')
  return { ok: true, format: 'png', source: splicedSource(source, pieces), removed: [...removed] }
}
