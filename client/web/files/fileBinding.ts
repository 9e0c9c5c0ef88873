import { createSignal, onCleanup, type Accessor } from 'solid-js'
import type { FileScan, Messenger } from '../../core/messenger.js'
import type { BlobId, ConvId } from '../../../protocol/index.js'
import { bindDownloads } from './downloadBinding.js'
import { bindUploads } from './uploadBinding.js'

/**
 * Files of one open conversation: what goes out (tray, uploads), what came in (downloads), and
 * the organisation scanner's verdicts by blob id ([A4]), read again whenever messages change.
 */
export function bindFiles(messenger: Messenger, conv: ConvId) {
  const read = () => (messenger.identity ? messenger.fileVerdicts(conv) : new Map<BlobId, FileScan>())
  const [scans, setScans] = createSignal<ReadonlyMap<BlobId, FileScan>>(read())
  onCleanup(messenger.events.on('messages', (e) => e.conv === conv && setScans(read())))
  onCleanup(messenger.events.on('conversations', () => setScans(read())))
  return { uploads: bindUploads(messenger, conv), downloads: bindDownloads(messenger, conv), scans: scans as Accessor<ReadonlyMap<BlobId, FileScan>> }
}

export type FilesBinding = ReturnType<typeof bindFiles>
