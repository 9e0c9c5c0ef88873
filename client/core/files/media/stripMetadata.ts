import type { FileSource } from '../source.js'
import { stripJpeg } from './stripJpeg.js'
import { stripPng } from './stripPng.js'
import { refuse, StripRefusal, type StripResult } from './stripResult.js'

export { StripRefusal, type StripResult } from './stripResult.js'
export { MAX_JPEG_SEGMENTS } from './stripJpeg.js'
export { MAX_PNG_CHUNKS, PNG_METADATA_CHUNKS } from './stripPng.js'
export { splicedSource, type Piece } from './spliced.js'

/**
 * [W1] A photo's location and camera metadata removed without re-encoding (the "HD" photo of
 * [W3]): JPEG and PNG by their first bytes; any other format is refused with W101. Pure (no
 * DOM): it runs on a browser File, a Node file or bytes through the same {@link FileSource}.
 */
export async function stripMetadata(source: FileSource): Promise<StripResult> {
  const head = await source.read(0, Math.min(8, source.size))
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return stripJpeg(source)
  if (head[0] === 0x89 && head[1] === 0x50 && head[2] === 0x4e && head[3] === 0x47) return stripPng(source)
  return refuse(StripRefusal.UNSUPPORTED, 'only JPEG and PNG photos are stripped')
}

