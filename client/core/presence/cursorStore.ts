import { parseConvId, parseDeviceId, type ConvId, type DeviceId } from '../../../protocol/index.js'
import type { LocalStore } from '../storage/LocalStore.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'
import { cursorsSchema, type Cursors } from './cursor.js'

/**
 * [M55] Where cursors are kept: this device's own under `read/<conv>`, the last ones heard from
 * other devices under `read-peer/<conv>/<device>` (a cache: a device answers a `receipt` query
 * from it after a restart). Both are keyed by the space, so a remote wipe ([M30]) erases them.
 */
export async function loadOwn(store: LocalStore): Promise<Map<ConvId, Cursors>> {
  const out = new Map<ConvId, Cursors>()
  for (const e of await store.range(['read'])) {
    const conv = parseConvId(e.key[1])
    const c = e.key.length === 2 ? decodeRecord(e.value, cursorsSchema) : undefined
    if (conv && c) out.set(conv, c)
  }
  return out
}

export async function loadPeers(store: LocalStore): Promise<Map<ConvId, Map<DeviceId, Cursors>>> {
  const out = new Map<ConvId, Map<DeviceId, Cursors>>()
  for (const e of await store.range(['read-peer'])) {
    const conv = parseConvId(e.key[1])
    const device = parseDeviceId(e.key[2])
    const c = e.key.length === 3 ? decodeRecord(e.value, cursorsSchema) : undefined
    if (!conv || !device || !c) continue
    let m = out.get(conv)
    if (!m) out.set(conv, (m = new Map()))
    m.set(device, c)
  }
  return out
}

export function saveOwn(store: LocalStore, conv: ConvId, c: Cursors): Promise<void> {
  return store.write([{ key: ['read', conv], value: encodeRecord(c) }])
}

export function savePeer(store: LocalStore, conv: ConvId, device: DeviceId, c: Cursors): Promise<void> {
  return store.write([{ key: ['read-peer', conv, device], value: encodeRecord(c) }])
}
