import { CLASS_NOUN, classesOfExtension, extensionOf, isDangerous, type DangerClass } from './classes.js'
import { FileReasonCode as R, reason, shown, type FileReason } from './reasons.js'
import type { ZipKind } from './realType.js'
import { ZIP_LIMITS, type ZipListing } from './zipListing.js'

/** [H6] What a zip's entry names say: dangerous files inside, archives inside archives, names that leave the folder. */
export function entryFindings(listing: ZipListing, kind: ZipKind, contains: Set<DangerClass>): FileReason[] {
  const out: FileReason[] = []
  const dangerous: string[] = []
  const nested: string[] = []
  const unsafe: string[] = []
  for (const n of listing.names) {
    const classes = classesOfExtension(extensionOf(n))
    if (classes.some(isDangerous)) dangerous.push(n)
    for (const c of classes) contains.add(c)
    if (kind === 'archive' && classes.includes('archive')) nested.push(n)
    if (/(^|[/\\])\.\.([/\\]|$)/.test(n) || /^([/\\]|[a-z]:)/i.test(n)) unsafe.push(n)
  }
  const some = (names: string[]) => `${names.slice(0, 3).map(shown).join(', ')}${names.length > 3 ? ` and ${names.length - 3} more` : ''}`
  if (dangerous.length) {
    const c = classesOfExtension(extensionOf(dangerous[0]!)).find(isDangerous)!
    out.push(reason(R.DANGEROUS_CONTENT, 'warn', `${kind === 'archive' ? 'archive' : 'file'} holds ${some(dangerous)} (${CLASS_NOUN[c]}${dangerous.length > 1 ? ' and others' : ''})`))
  }
  if (nested.length) out.push(reason(R.NESTED_ARCHIVE, 'warn', `archive inside archive (${some(nested)}): what it holds was not checked`))
  if (unsafe.length) out.push(reason(R.UNSAFE_ENTRY_NAME, 'warn', `archive entries with paths that leave their folder (${some(unsafe)})`))
  if (listing.problem === 'too-large') {
    out.push(reason(R.ARCHIVE_TOO_LARGE, 'warn', `archive too large to list (over ${ZIP_LIMITS.maxEntries.toLocaleString('en')} entries or a ${ZIP_LIMITS.maxDirectoryBytes / 1024 / 1024} MiB directory): only the first ${listing.names.length.toLocaleString('en')} were checked`))
  } else if (listing.problem) {
    out.push(reason(R.ARCHIVE_UNREADABLE, 'warn', listing.problem === 'ambiguous' ? 'archive that can be read in more than one way: what it holds could not be checked' : 'archive damaged or incomplete: what it holds could not be checked'))
  }
  return out
}
