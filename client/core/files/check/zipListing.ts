import { Reader, ZipReader } from '@zip.js/zip.js'
import { readAt, type FileSource } from './source.js'

/**
 * [H6] A zip's entry names from its central directory only, through @zip.js/zip.js over the
 * {@link FileSource}: no entry is decompressed and no local data is read. Bounded: at most
 * {@link ZIP_LIMITS}.maxEntries names, and the reads zip.js makes may add up to at most
 * {@link ZIP_LIMITS}.maxDirectoryBytes plus the end-record search; beyond either the listing
 * stops and says so ("too large to list"), it never throws or grows with the archive.
 */
export const ZIP_LIMITS = {
  maxEntries: 10_000,
  maxDirectoryBytes: 16 * 1024 * 1024,
  /** The end record search (64 KiB comment), a digital signature record and a few headers. */
  slackBytes: 256 * 1024,
} as const

export type ZipProblem = 'damaged' | 'ambiguous' | 'too-large'

export interface ZipListing {
  /** Names of the entries listed (directories left out), in directory order. */
  readonly names: readonly string[]
  /** Set when the listing is not the whole archive. */
  readonly problem?: ZipProblem
}

class OverBudget extends Error {}

/** zip.js's random-access reader over a FileSource, refusing reads past a byte budget. */
class SourceReader extends Reader<FileSource> {
  private left: number
  constructor(private readonly source: FileSource, budget: number) {
    super(source)
    this.size = source.size
    this.left = budget
  }

  override async readUint8Array(index: number, length: number): Promise<Uint8Array> {
    if (!(length >= 0) || length > this.left) throw new OverBudget()
    this.left -= length
    return readAt(this.source, index, length)
  }
}

export async function listZip(source: FileSource): Promise<ZipListing> {
  const reader = new SourceReader(source, ZIP_LIMITS.maxDirectoryBytes + ZIP_LIMITS.slackBytes)
  // Names are listed as stored: a name escaping its folder is for [H6] to flag, not a reason to stop.
  const zip = new ZipReader(reader, { useWebWorkers: false, filenameValidation: 'tolerant' })
  const names: string[] = []
  let entries = 0
  try {
    for await (const entry of zip.getEntriesGenerator()) {
      if (++entries > ZIP_LIMITS.maxEntries) return { names, problem: 'too-large' }
      if (!entry.directory) names.push(entry.filename)
    }
    return { names }
  } catch (err) {
    const problem: ZipProblem = err instanceof OverBudget ? 'too-large' : err instanceof Error && /ambiguous/i.test(err.message) ? 'ambiguous' : 'damaged'
    return { names, problem }
  } finally {
    await zip.close().catch(() => undefined)
  }
}
