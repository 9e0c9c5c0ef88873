import { openMemoryRecoveryStore } from '../../sync-server/store/memoryRecovery.js'
import { recoveryStoreContract } from './recoveryStore.contract.js'

recoveryStoreContract('memory', () => ({ store: openMemoryRecoveryStore(), close: async () => {} }))
