import { CLASS_NOUN, classesOfExtension, extensionOf, extensionsOf, isDangerous, type DangerClass } from './classes.js'
import { extensionOfMime, familyOf, label, OPEN_TYPES, SIGNED_EXTENSIONS } from './families.js'
import { diskImageOf, isCfb, isEicar, isElf, isMachO, isPe, isShebang, isZip } from './magic.js'
import { isVbaPart, oleHasMacros } from './macro.js'
import { isKnownExtension, typeOfHead, zipKindOf, type RealType, type ZipKind } from './realType.js'
import { FileReasonCode as R, reason, shown, type FileReason } from './reasons.js'
import { readAt, type FileSource } from './source.js'
import { listZip, type ZipListing } from './zipListing.js'
import { entryFindings } from './zipFindings.js'

/** [H1] Bytes of the head the type is judged from (file-type needs 4,100 for most formats). */
export const HEAD_BYTES = 8 * 1024

/** What the sender says a file is: its name and declared MIME type (both untrusted). */
export interface FileClaim {
  readonly name: string
  readonly type?: string
}

/** [H1]–[H6] What a file's name, declared type and content say, before any policy. */
export interface FileInspection {
  readonly name: string
  readonly declaredType?: string
  readonly size: number
  readonly realType?: RealType
  /** Classes of the file itself, by name, declared type or content. */
  readonly classes: readonly DangerClass[]
  /** Classes of what an archive or document holds (one level down). */
  readonly contains: readonly DangerClass[]
  /** Extensions a policy's type rules are matched against: name, declared type, content, entries. */
  readonly extensions: readonly string[]
  /** Entries of a zip listed, and whether that was all of them. */
  readonly archive?: { readonly kind: ZipKind; readonly listed: number; readonly complete: boolean }
  readonly findings: readonly FileReason[]
}

const CONTENT_CLASSES: Record<string, readonly DangerClass[]> = {
  exe: ['executable'], elf: ['executable'], macho: ['executable'], jar: ['executable'], apk: ['executable', 'installer'],
  deb: ['installer'], rpm: ['installer'], msix: ['installer'],
  iso: ['disk-image'], dmg: ['disk-image'], vhd: ['disk-image'], vhdx: ['disk-image'],
  lnk: ['script'], reg: ['script'], chm: ['script'],
  docm: ['macro-document'], dotm: ['macro-document'], xlsm: ['macro-document'], xltm: ['macro-document'], pptm: ['macro-document'], potm: ['macro-document'], ppsm: ['macro-document'],
}
/** Classes a content can hide under a harmless name: opening it does something ([H3]). */
const DISGUISABLE: readonly DangerClass[] = ['executable', 'installer', 'disk-image', 'macro-document']
const CLASS_CODE = { executable: R.EXECUTABLE, script: R.SCRIPT, installer: R.INSTALLER, 'disk-image': R.DISK_IMAGE, 'macro-document': R.MACRO_DOCUMENT } as const
const BIDI_OVERRIDE = /[\u202d\u202e]/u

export async function inspectFile(source: FileSource, claim: FileClaim): Promise<FileInspection> {
  const head = await readAt(source, 0, HEAD_BYTES)
  const findings: FileReason[] = []
  const byName = new Set<DangerClass>()
  const byContent = new Set<DangerClass>()
  const contains = new Set<DangerClass>()
  const nameExt = extensionOf(claim.name)
  const declaredExt = extensionOfMime(claim.type)
  for (const ext of [nameExt, declaredExt]) for (const c of classesOfExtension(ext)) byName.add(c)

  // [H2] The real type: file-type on the head, then the signatures it leaves to us.
  let real = source.size ? await typeOfHead(head) : undefined
  const disk = source.size ? await diskImageOf(source, head) : undefined
  if (disk && (!real || !(real.ext in CONTENT_CLASSES))) real = disk
  if (!real && isMachO(head)) real = { ext: 'macho', mime: 'application/x-mach-binary' }
  if (!real && isElf(head)) real = { ext: 'elf', mime: 'application/x-elf' }
  if (!real && isPe(head)) real = { ext: 'exe', mime: 'application/x-msdownload' }

  // [H6] A zip's entries, from its central directory.
  let listing: ZipListing | undefined
  let kind: ZipKind | undefined
  if (isZip(head) || (real && familyOf(real.ext) === 'zip')) {
    listing = await listZip(source)
    const zip = zipKindOf(listing.names, real)
    kind = zip.kind
    if (zip.real) real = zip.real
    if (listing.names.some(isVbaPart)) byContent.add('macro-document')
    if (kind === 'archive') byContent.add('archive')
    findings.push(...entryFindings(listing, kind, contains))
  }
  for (const c of real ? CONTENT_CLASSES[real.ext] ?? [] : []) byContent.add(c)
  if (real && !listing && classesOfExtension(real.ext).includes('archive')) byContent.add('archive')
  if (isCfb(head) && (await oleHasMacros(source))) byContent.add('macro-document')
  if (isShebang(head) && !nameExt) byContent.add('script')
  const own = new Set([...byName, ...byContent])

  // [H4] EICAR.
  if (isEicar(head, source.size)) findings.push(reason(R.EICAR, 'block', 'EICAR test file (antivirus test signature)'))

  // [H2] The name and the declared type against the content; [H3] a dangerous content under a harmless name.
  const contentDanger = DISGUISABLE.filter((c) => byContent.has(c))
  const dangerInside = [...contains].filter(isDangerous)
  const claims = [...new Set([nameExt, declaredExt].filter((e): e is string => !!e && isKnownExtension(e)))]
  for (const ext of claims) {
    const by = ext === nameExt ? `named .${ext}` : `declared as ${shown(claim.type ?? '')}`
    if (real && !OPEN_TYPES.has(real.ext) && familyOf(ext) !== familyOf(real.ext)) {
      findings.push(reason(R.TYPE_MISMATCH, 'warn', `${by} but the content is ${label(real.ext)}`))
      const harmless = !classesOfExtension(ext).some(isDangerous)
      if (harmless && contentDanger.length) findings.push(reason(R.DISGUISED, 'block', `${CLASS_NOUN[contentDanger[0]!]} disguised as ${label(ext)}`))
      else if (harmless && dangerInside.length) findings.push(reason(R.DISGUISED, 'block', `archive holding ${article(CLASS_NOUN[dangerInside[0]!])} disguised as ${label(ext)}`))
    } else if (!real && source.size > 0 && SIGNED_EXTENSIONS.has(ext)) {
      findings.push(reason(R.TYPE_MISMATCH, 'warn', `${by} but the content is not ${label(ext)}`))
    }
  }
  // [H3] `report.pdf.exe`: a dangerous extension behind a harmless one.
  const exts = extensionsOf(claim.name)
  const inner = exts.at(-2)
  const outer = classesOfExtension(nameExt).filter(isDangerous)
  if (inner && outer.length && isKnownExtension(inner) && !classesOfExtension(inner).some(isDangerous)) {
    findings.push(reason(R.DISGUISED, 'block', `${CLASS_NOUN[outer[0]!]} named to look like ${label(inner)}`))
  }
  if (BIDI_OVERRIDE.test(claim.name)) findings.push(reason(R.DECEPTIVE_NAME, 'block', 'the name hides its real extension with right-to-left characters'))

  // [H5] Each dangerous class of the file itself is a warning by default.
  for (const c of own) if (isDangerous(c)) findings.push(reason(CLASS_CODE[c], 'warn', classText(c, nameExt, real)))
  if (own.has('archive') && !listing && source.size > 0) {
    findings.push(reason(R.ARCHIVE_UNCHECKED, 'warn', `${label(real?.ext ?? nameExt ?? 'archive')} archive: what it holds cannot be checked on this device`))
  }

  const extensions = new Set<string>([nameExt, declaredExt, real?.ext].filter((e): e is string => !!e))
  for (const n of listing?.names ?? []) {
    const e = extensionOf(n)
    if (e) extensions.add(e)
  }
  return {
    name: claim.name,
    ...(claim.type ? { declaredType: claim.type } : {}),
    size: source.size,
    ...(real ? { realType: real } : {}),
    classes: [...own],
    contains: [...contains],
    extensions: [...extensions],
    ...(listing && kind ? { archive: { kind, listed: listing.names.length, complete: !listing.problem } } : {}),
    findings,
  }
}

const article = (noun: string) => (/^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`)

function classText(c: DangerClass, nameExt: string | undefined, real: RealType | undefined): string {
  const what = real && CONTENT_CLASSES[real.ext]?.includes(c) ? label(real.ext) : nameExt ? `.${nameExt}` : undefined
  const suffix = what ? ` (${what})` : ''
  switch (c) {
    case 'executable': return `executable program${suffix}: it runs code when opened`
    case 'script': return `script${suffix}: it runs commands when opened`
    case 'installer': return `installer package${suffix}: it installs software`
    case 'disk-image': return `disk image${suffix}: opening it mounts a drive that can hold programs`
    case 'macro-document': return `document with macros${suffix}: they run code when enabled`
    case 'archive': return `archive${suffix}`
  }
}
