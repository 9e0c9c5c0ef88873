import { fileTypeFromBuffer, supportedExtensions } from 'file-type/core'
import { familyOf } from './families.js'
import { isVbaPart } from './macro.js'

/** [H2] What the content is, by its bytes: file-type's extension and MIME type. */
export interface RealType {
  readonly ext: string
  readonly mime: string
}

/**
 * file-type (magic bytes) on the file's head only. A head it cannot make sense of is no type, never
 * an error: the checks then go on from the name and the other signatures.
 */
export async function typeOfHead(head: Uint8Array): Promise<RealType | undefined> {
  try {
    const t = await fileTypeFromBuffer(head)
    return t ? { ext: t.ext, mime: t.mime } : undefined
  } catch {
    return undefined
  }
}

/** Whether a name extension says something file-type, our families or our tables know. */
export const isKnownExtension = (ext: string): boolean => supportedExtensions.has(ext) || familyOf(ext) !== ext

const OOXML: readonly [string, string, string, string][] = [
  ['word/', 'docx', 'docm', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  ['xl/', 'xlsx', 'xlsm', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  ['ppt/', 'pptx', 'pptm', 'application/vnd.openxmlformats-officedocument.presentationml.presentation'],
]

/** What kind of zip its entries make it: a plain archive, or a document or a package that is a zip inside. */
export type ZipKind = 'archive' | 'document' | 'jar' | 'apk' | 'msix'

/**
 * [H2][H3] A zip told apart by its entries (file-type sees only the first ones in the head):
 * Office Open XML (macro-enabled when it holds a VBA project), OpenDocument and EPUB, Java and
 * Android packages, Windows app packages.
 */
export function zipKindOf(names: readonly string[], real: RealType | undefined): { kind: ZipKind; real?: RealType } {
  const has = (n: string) => names.includes(n)
  if (has('AndroidManifest.xml') && has('classes.dex')) return { kind: 'apk', real: { ext: 'apk', mime: 'application/vnd.android.package-archive' } }
  if (has('AppxManifest.xml') || has('AppxMetadata/AppxBundleManifest.xml')) return { kind: 'msix', real: { ext: 'msix', mime: 'application/msix' } }
  if (has('[Content_Types].xml')) {
    const vba = names.some(isVbaPart)
    const o = OOXML.find(([prefix]) => names.some((n) => n.startsWith(prefix)))
    if (o) return { kind: 'document', real: { ext: vba ? o[2] : o[1], mime: o[3] } }
    return { kind: 'document', ...(real ? { real } : {}) }
  }
  if (has('mimetype') || (real && familyOf(real.ext) === 'zip' && real.ext !== 'zip' && real.ext !== 'jar' && real.ext !== 'apk')) return { kind: 'document', ...(real ? { real } : {}) }
  if (has('META-INF/MANIFEST.MF') && names.some((n) => n.endsWith('.class'))) return { kind: 'jar', real: { ext: 'jar', mime: 'application/java-archive' } }
  return { kind: 'archive', ...(real ? { real } : {}) }
}
