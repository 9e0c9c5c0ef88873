import type { Messenger } from '../../core/messenger.js'
import type { ConvId } from '../../../protocol/index.js'
import { bindDownloads } from './downloadBinding.js'
import { bindUploads } from './uploadBinding.js'

/** Files of one open conversation: what goes out (tray, uploads) and what came in (downloads). */
export function bindFiles(messenger: Messenger, conv: ConvId) {
  return { uploads: bindUploads(messenger, conv), downloads: bindDownloads(messenger, conv) }
}

export type FilesBinding = ReturnType<typeof bindFiles>
