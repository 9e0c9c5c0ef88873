import { createMemoryStore } from '../../client/core/storage/memory.js'
import { localStoreContract } from './localStore.contract.js'

localStoreContract('memory', { open: () => createMemoryStore() })
