/**
 * [U9] The blocked domains an organisation's policy lists, read defensively: the field may be
 * absent (a policy from before it existed), or not a list of strings (a policy is peer input).
 * TODO(lead): `blockedDomains` is the name another change gives it in `OrgPolicy`
 * (client/core/team/org.ts); once both have landed, type `policy` as `OrgPolicy` here.
 */
export function blockedDomainsOf(policy: unknown): readonly string[] {
  const list = (policy as { blockedDomains?: unknown } | null | undefined)?.blockedDomains
  return Array.isArray(list) ? list.filter((e): e is string => typeof e === 'string') : []
}

/** The blocked domains of several organisations' policies, as one list (a device in several). */
export function blockedDomainsOfAll(policies: readonly unknown[]): readonly string[] {
  return [...new Set(policies.flatMap(blockedDomainsOf))]
}
