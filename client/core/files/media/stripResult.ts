import type { FileSource } from '../source.js'

/**
 * [W1] Why a file's metadata could not be removed. Never thrown: a photo the stripper cannot
 * read is a result the caller acts on (the web app re-encodes it instead, [W3]).
 */
export const StripRefusal = {
  /** Neither a JPEG nor a PNG. */
  UNSUPPORTED: 'W101_UNSUPPORTED',
  /** The file ends inside a segment or chunk, or before its end marker. */
  TRUNCATED: 'W102_TRUNCATED',
  /** A marker, length or chunk that the format does not allow. */
  MALFORMED: 'W103_MALFORMED',
  /** More segments or chunks than any real photo has (a bound on the work). */
  TOO_COMPLEX: 'W104_TOO_COMPLEX',
} as const
export type StripRefusal = (typeof StripRefusal)[keyof typeof StripRefusal]

export type StripResult =
  | {
      readonly ok: true
      readonly format: 'jpeg' | 'png'
      /** The same image without its metadata, read on demand from the original. */
      readonly source: FileSource
      /** What was taken out, for the person and the tests: `exif`, `xmp`, `iptc`, `app5`, `tEXt`, `trailing data`, … */
      readonly removed: readonly string[]
      /** [W2] The EXIF orientation kept (2–8), if the photo had one other than upright. */
      readonly orientation?: number
    }
  | { readonly ok: false; readonly code: StripRefusal; readonly detail: string }

export const refuse = (code: StripRefusal, detail: string): StripResult => ({ ok: false, code, detail })
