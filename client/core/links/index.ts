/**
 * Link checks ([U1]–[U11], client/core/SPEC.md "Link checks"): finding links in message text
 * and judging each on this device. Pure: no DOM, no Node built-ins, no network.
 */
export { checkLink, checkTarget, type LinkCheckOptions } from './check.js'
export { messageSegments, type MessageSegment, type SegmentOptions } from './segments.js'
export { normaliseBlockedDomain } from './blocklist.js'
export { DANGEROUS_EXTENSIONS } from './downloads.js'
export { LINK_LIMITS } from './limits.js'
export { DANGEROUS_SCHEMES, parseLinkTarget, type LinkTarget } from './target.js'
export { LinkReasonCode, type LinkLevel, type LinkReason, type LinkVerdict } from './verdict.js'
export { blockedDomainsOf, blockedDomainsOfAll } from './policy.js'
