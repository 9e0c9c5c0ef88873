/**
 * [H2] Which names and types are the same kind of content. file-type names one extension per
 * format (`jpg`, `exe`, `zip`, `cfb`); a name may use any of its family's (`jpeg`, `dll`,
 * `docx`, `doc`). Two extensions of one family never count as a mismatch.
 */
const FAMILIES: readonly (readonly string[])[] = [
  'zip docx docm dotx dotm xlsx xlsm xltx xltm xlam xlsb pptx pptm potx potm ppsx ppsm ppam sldx sldm odt ods odp odg ott ots otp otg epub jar apk aab xpi 3mf vsdx ipa kmz msix msixbundle appx appxbundle war ear nupkg whl xps oxps cbz key numbers pages usdz idml crx',
  'cfb doc dot xls xlt xla ppt pot pps msi msp msg vsd pub mpp wps',
  'exe dll com scr cpl ocx sys drv efi mui ax',
  'elf so ko axf prx out',
  'macho dylib bundle',
  'jpg jpeg jpe jfif pjpeg pjp',
  'tif tiff dng nef arw cr2 orf rw2 pef srw',
  'mp4 m4v m4a m4b m4p mov qt 3gp 3g2 f4v f4a f4b f4p mj2',
  'mkv webm mka mks mk3d',
  'ogg oga ogv ogm ogx opus spx',
  'mpg mpeg mpe m2v vob',
  'mp3 mpga mp2 mp1',
  'wav wave',
  'aif aiff aifc',
  'gz tgz gzip tar.gz svgz emz wmz',
  'bz2 tbz2 tbz',
  'xz txz',
  'pdf ai',
  'ps eps',
  'psd psb',
  'ico cur',
  'heic heif',
  'sqlite sqlite3 db db3',
  'html htm xhtml',
  'txt text log md csv tsv json yaml yml ini cfg conf',
].map((f) => f.split(' '))

const FAMILY = new Map<string, string>()
for (const f of FAMILIES) for (const ext of f) FAMILY.set(ext, f[0]!)

/** The family an extension belongs to: its first member, or the extension itself. */
export const familyOf = (ext: string): string => FAMILY.get(ext) ?? ext

/**
 * Extensions whose content always starts with a signature file-type knows: a file named so whose
 * content it does not recognise is not what its name says ([H2]).
 */
export const SIGNED_EXTENSIONS: ReadonlySet<string> = new Set('pdf png gif jpg jpeg webp bmp tif tiff heic avif psd zip docx xlsx pptx odt ods odp epub 7z rar gz mp4 mov webm mkv flac wav'.split(' '))

/** Types file-type reports for content that many names fit (any XML dialect): never a mismatch. */
export const OPEN_TYPES: ReadonlySet<string> = new Set(['xml'])

/** Declared MIME types people's devices give, and the extension each stands for ([H2]). */
const MIME_EXTENSIONS: Record<string, string> = {
  'application/pdf': 'pdf',
  'image/jpeg': 'jpg', 'image/jpg': 'jpg', 'image/pjpeg': 'jpg', 'image/png': 'png', 'image/gif': 'gif', 'image/webp': 'webp',
  'image/heic': 'heic', 'image/heif': 'heic', 'image/avif': 'avif', 'image/bmp': 'bmp', 'image/tiff': 'tif',
  'video/mp4': 'mp4', 'video/quicktime': 'mov', 'video/webm': 'webm', 'video/x-matroska': 'mkv', 'video/3gpp': '3gp',
  'audio/mpeg': 'mp3', 'audio/mp3': 'mp3', 'audio/mp4': 'm4a', 'audio/x-m4a': 'm4a', 'audio/ogg': 'ogg', 'audio/wav': 'wav', 'audio/x-wav': 'wav', 'audio/flac': 'flac',
  'application/zip': 'zip', 'application/x-zip-compressed': 'zip', 'application/gzip': 'gz', 'application/x-gzip': 'gz',
  'application/x-7z-compressed': '7z', 'application/vnd.rar': 'rar', 'application/x-rar-compressed': 'rar', 'application/x-tar': 'tar',
  'application/msword': 'doc', 'application/vnd.ms-excel': 'xls', 'application/vnd.ms-powerpoint': 'ppt',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
  'application/vnd.oasis.opendocument.text': 'odt', 'application/vnd.oasis.opendocument.spreadsheet': 'ods', 'application/vnd.oasis.opendocument.presentation': 'odp',
  'text/plain': 'txt', 'text/csv': 'csv', 'text/markdown': 'md', 'application/json': 'json', 'text/html': 'html',
  'application/x-msdownload': 'exe', 'application/vnd.microsoft.portable-executable': 'exe', 'application/x-msdos-program': 'exe', 'application/x-dosexec': 'exe',
  'application/x-msi': 'msi', 'application/x-ms-installer': 'msi', 'application/java-archive': 'jar', 'application/vnd.android.package-archive': 'apk',
  'application/x-apple-diskimage': 'dmg', 'application/x-iso9660-image': 'iso', 'application/x-sh': 'sh', 'application/x-bat': 'bat',
  'application/javascript': 'js', 'text/javascript': 'js', 'application/hta': 'hta', 'application/x-debian-package': 'deb', 'application/x-rpm': 'rpm',
}

/** The extension a declared MIME type claims; undefined for none, a generic one or one not in the table. */
export function extensionOfMime(type: string | undefined): string | undefined {
  const t = type?.split(';')[0]?.trim().toLowerCase()
  return t ? MIME_EXTENSIONS[t] : undefined
}

const LABELS: Record<string, string> = { macho: 'Mach-O', elf: 'ELF', cfb: 'OLE' }

/** How a type is named to a person: "PDF", "JPG", "Mach-O". */
export const label = (ext: string): string => LABELS[ext] ?? ext.toUpperCase()
