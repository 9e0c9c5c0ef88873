/** [W38] What a browser tells the organisation's usage statistics about itself (client/core [Q7]): coarse, no model or version of the OS. */
export function webPlatform(userAgent: string): string {
  if (/Android/i.test(userAgent)) return 'web/android'
  if (/iPhone|iPad|iPod/i.test(userAgent)) return 'web/ios'
  if (/Macintosh|Mac OS X/i.test(userAgent)) return 'web/mac'
  if (/Windows/i.test(userAgent)) return 'web/windows'
  if (/Linux|X11|CrOS/i.test(userAgent)) return 'web/linux'
  return 'web/other'
}
