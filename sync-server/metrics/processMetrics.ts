import { Registry, collectDefaultMetrics } from 'prom-client'

let shared: Registry | undefined

/**
 * prom-client's process metrics (CPU, memory, heap, event loop delay, GC, file descriptors),
 * prefixed `fieldchat_`. They describe the process, not a server: collected once per process
 * and merged into each server's registry, so tests that start several servers in one process
 * do not each start an event-loop monitor and a GC observer that nothing stops.
 */
export function processRegistry(): Registry {
  if (!shared) {
    shared = new Registry()
    collectDefaultMetrics({ register: shared, prefix: 'fieldchat_' })
  }
  return shared
}
