/**
 * [H3] The danger classes, and which file name extensions belong to each. A name is judged by its
 * last extension after trailing dots and spaces are dropped (Windows drops them too, so
 * `invoice.exe.` runs as an `.exe`).
 */
export const DANGER_CLASSES = ['executable', 'script', 'installer', 'disk-image', 'macro-document', 'archive'] as const
export type DangerClass = (typeof DANGER_CLASSES)[number]

export const isDangerClass = (s: string): s is DangerClass => (DANGER_CLASSES as readonly string[]).includes(s)

/** What a person reads for a class: "executable disguised as PDF". */
export const CLASS_NOUN: Record<DangerClass, string> = {
  executable: 'executable',
  script: 'script',
  installer: 'installer',
  'disk-image': 'disk image',
  'macro-document': 'document with macros',
  archive: 'archive',
}

const list = (s: string) => s.split(' ')

const BY_EXTENSION: Record<DangerClass, readonly string[]> = {
  executable: list('exe dll com scr pif cpl msi msp jar apk app ipa appimage run gadget xbap ocx sys drv efi'),
  script: list('js jse vbs vbe vb wsf wsh wsc ps1 psm1 psd1 ps1xml bat cmd sh bash zsh csh ksh command hta lnk reg scf url inf msc chm scpt applescript'),
  installer: list('msi msix msixbundle appx appxbundle pkg mpkg deb rpm apk ipa snap'),
  'disk-image': list('iso img vhd vhdx dmg vmdk'),
  'macro-document': list('docm dotm xlsm xltm xlam xla pptm potm ppsm ppam sldm'),
  archive: list('zip 7z rar tar tar.gz gz tgz bz2 tbz2 xz txz zst lz lz4 lzma cab arj lzh ace cpio'),
}

const CLASSES_OF = new Map<string, DangerClass[]>()
for (const c of DANGER_CLASSES) for (const ext of BY_EXTENSION[c]) CLASSES_OF.set(ext, [...(CLASSES_OF.get(ext) ?? []), c])

/** The classes a name extension puts a file in (none for `pdf`, `jpg`, …). */
export const classesOfExtension = (ext: string | undefined): readonly DangerClass[] => (ext ? CLASSES_OF.get(ext) ?? [] : [])

/** Classes a file is warned about by default; `archive` alone is not one ([H5]). */
export const isDangerous = (c: DangerClass) => c !== 'archive'

/**
 * The extension of a name, lower case, without the dot; undefined when it has none. Trailing
 * dots and spaces are dropped first, as Windows does.
 */
export function extensionOf(name: string): string | undefined {
  return extensionsOf(name).at(-1)
}

/** Every extension of a name, in order: `report.pdf.exe` → `['pdf', 'exe']`. */
export function extensionsOf(name: string): string[] {
  const base = (name.split(/[/\\]/).pop() ?? '').replace(/[.\s]+$/u, '')
  const parts = base.split('.')
  // A leading dot names a hidden file (`.bashrc`), not an extension.
  return parts.slice(parts[0] === '' ? 2 : 1).map((p) => p.trim().toLowerCase()).filter((p) => /^[a-z0-9]{1,16}$/.test(p))
}
