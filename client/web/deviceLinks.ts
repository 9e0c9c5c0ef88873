import { parseConvId, type ConvId } from '../../protocol/index.js'

/**
 * [T17] Organisations this device asked to join through a device link (not as a new person), so
 * that while it waits the app says whom it waits for. The engine keeps the pending answer itself
 * and does not say which kind it was; this remembers only that, as organisation ids (nothing
 * secret), in localStorage so that it survives a reload. Read back as untrusted input.
 */
const KEY = 'fieldchat-device-links'

export function readDeviceLinks(): Set<ConvId> {
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(KEY) ?? '[]')
    return new Set((Array.isArray(raw) ? raw : []).flatMap((s) => parseConvId(s) ?? []))
  } catch {
    // unreadable, or no localStorage (private mode): the generic waiting text is still true
    return new Set()
  }
}

export function writeDeviceLinks(orgs: ReadonlySet<ConvId>): void {
  try {
    if (orgs.size) localStorage.setItem(KEY, JSON.stringify([...orgs]))
    else localStorage.removeItem(KEY)
  } catch {
    // as above
  }
}
