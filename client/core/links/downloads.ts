/**
 * [U7] File types that run, install or mount when opened: a link whose path ends in one is
 * probably a download of a program. The server may still send anything for any path; this
 * catches the honest name.
 */
export const DANGEROUS_EXTENSIONS: ReadonlySet<string> = new Set([
  'exe', 'scr', 'com', 'pif', 'cpl', 'dll', 'msi', 'msp', 'msix', 'msixbundle', 'appx', 'appxbundle', 'appinstaller',
  'bat', 'cmd', 'ps1', 'psm1', 'vbs', 'vbe', 'js', 'jse', 'wsf', 'wsh', 'hta', 'lnk', 'reg', 'jar', 'apk', 'xapk',
  'iso', 'img', 'vhd', 'vhdx', 'dmg', 'pkg', 'app', 'sh', 'run', 'deb', 'rpm', 'application', 'xll', 'library-ms',
])

/** The dangerous extension the URL's path ends in (lower case, without the dot), if any. */
export function dangerousExtension(pathname: string): string | undefined {
  const last = pathname.slice(pathname.lastIndexOf('/') + 1)
  let name: string
  try {
    name = decodeURIComponent(last)
  } catch {
    name = last
  }
  // Windows drops trailing dots and spaces from a file name: `setup.exe.` saves as setup.exe.
  name = name.replace(/[. ]+$/, '').toLowerCase()
  const dot = name.lastIndexOf('.')
  const ext = dot < 0 ? '' : name.slice(dot + 1)
  return DANGEROUS_EXTENSIONS.has(ext) ? ext : undefined
}
