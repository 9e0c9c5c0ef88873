import type { Spool } from '../../core/files/spool.js'
import { hasOpfs } from './opfs.js'
import { clearDownloads } from './opfsSink.js'
import { openOpfsSpool } from './opfsSpool.js'

/**
 * [W5][W6] What the web app adds to the Messenger's options for files: the lasting OPFS spool
 * (without OPFS the engine keeps its memory spool and queued files do not outlive the tab).
 * Downloads opened in an earlier session are deleted first: decrypted content is kept on disk
 * only while it is being looked at.
 */
export async function fileOptions(): Promise<{ spool?: Spool }> {
  if (!hasOpfs()) return {}
  await clearDownloads().catch(() => undefined)
  try {
    return { spool: await openOpfsSpool() }
  } catch (err) {
    console.warn('the Origin Private File System could not be opened: queued files last only while this tab is open', err)
    return {}
  }
}
