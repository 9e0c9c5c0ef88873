/** The named peer: automerge-repo's own unencrypted WebSocket sync server, with file storage. */
import { WebSocketServer } from 'ws'
import { Repo } from '@automerge/automerge-repo'
import { NodeWSServerAdapter } from '@automerge/automerge-repo-network-websocket'
import { NodeFSStorageAdapter } from '@automerge/automerge-repo-storage-nodefs'
import { serve } from './procs.js'

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
await new Promise((r) => wss.once('listening', r))
const address = wss.address()
const port = typeof address === 'object' && address ? address.port : 0
new Repo({
  network: [new NodeWSServerAdapter(wss as never)],
  // The data folder is bench/sync.ts's, which removes it after the run.
  storage: new NodeFSStorageAdapter(process.argv[2]!),
  sharePolicy: async () => false,
})
serve({ port: () => port })
