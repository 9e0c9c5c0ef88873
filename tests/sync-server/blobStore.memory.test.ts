import { openMemoryBlobStore } from '../../sync-server/blobs/memoryBlobs.js'
import { blobStoreContract } from './blobStore.contract.js'

blobStoreContract('memory', async () => ({ store: openMemoryBlobStore(), close: async () => {} }))
