import { describe, test } from 'vitest'
import { turnBinary } from './coturnProcess.js'

export { startCoturn, turnBinary, type Coturn } from './coturnProcess.js'

/**
 * Debian's coturn (`turnserver`) for the TURN tests ([S55], crypto [X1]), run in the foreground
 * on 127.0.0.1 with `use-auth-secret`, as the README recipe runs it beside the sync server. Where
 * it is not installed its suites are skipped; with FIELDCHAT_REQUIRE_COTURN=1 (CI) they fail.
 */
export function describeWithCoturn(name: string, body: () => void): void {
  if (turnBinary) describe(name, body)
  else if (process.env.FIELDCHAT_REQUIRE_COTURN === '1') {
    describe(name, () => test('coturn is required (FIELDCHAT_REQUIRE_COTURN=1)', () => {
      throw new Error('turnserver is not installed (apt-get install coturn), and FIELDCHAT_REQUIRE_COTURN=1')
    }))
  } else describe.skip(`${name} (coturn not installed)`, body)
}
