import { openMemoryStore } from '../../sync-server/store/memory.js'
import { changeStoreContract } from './changeStore.contract.js'

changeStoreContract('memory', () => openMemoryStore())
