/**
 * [X3] The report-token construction, loaded when first needed: BLS12-381 is large, and only a
 * device of an organisation with statistics on uses it (the app's first load does not carry it).
 */
let loading: Promise<typeof import('../../../crypto/statsToken.js')> | undefined

export function statsTokens(): Promise<typeof import('../../../crypto/statsToken.js')> {
  loading ??= import('../../../crypto/statsToken.js')
  return loading
}
