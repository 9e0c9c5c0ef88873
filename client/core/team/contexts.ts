import { concat, domainHash, utf8, writeU32 } from '../../../crypto/index.js'
import { idBytes, type ConvId } from '../../../protocol/index.js'

/**
 * Contexts that bind sealed keys and bundles to one space and epoch ([T9][T13]): a box or a
 * bundle moved to another space, epoch or purpose does not open.
 */
export function boxContext(space: ConvId, epoch: number, purpose: 'key' | 'admin' | 'bundle'): Uint8Array {
  const e = new Uint8Array(4)
  writeU32(new DataView(e.buffer), 0, epoch)
  return concat(utf8.encode(`fieldchat/v1/team/${purpose}`), idBytes(space), e)
}

/**
 * [T20] The context of a rotation's key boxes ([L3]) as it travels in a bundle's clear part: a
 * hash of the space, epoch and purpose, so a device can find its box before it knows which space
 * the bundle is for, and the server learns neither (tags of one space and epoch are equal).
 */
export function boxTag(space: ConvId, epoch: number, purpose: 'key' | 'admin'): Uint8Array {
  return domainHash('fieldchat/v1/team/box-tag', boxContext(space, epoch, purpose))
}
