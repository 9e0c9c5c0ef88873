import type { FileHandle } from 'node:fs/promises'

/** Bytes written between two background syncs. */
const EVERY_BYTES = 64 * 1024 * 1024

/**
 * Keeps a file's dirty pages from piling up while it is written: every 64 MiB a `datasync` starts
 * in the background (at most one at a time) while writing goes on, so the sync that makes the
 * whole file durable at its end has only the tail left to flush, not the whole file (a 1 GiB
 * download or spool entry spent over a second in that last sync, on the critical path).
 * Durability is still decided by that last sync: `sync` waits for the one in flight first.
 */
export function syncBehind(handle: FileHandle): { wrote(bytes: number): Promise<void>; sync(): Promise<void> } {
  let dirty = 0
  let running: Promise<void> | undefined
  return {
    async wrote(bytes) {
      dirty += bytes
      if (dirty < EVERY_BYTES) return
      dirty = 0
      await running
      running = handle.datasync().catch(() => undefined)
    },
    async sync() {
      await running
      running = undefined
      dirty = 0
      await handle.sync()
    },
  }
}
