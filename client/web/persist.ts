/**
 * Asks the browser to keep this site's storage under pressure (ARCHITECTURE §6). A refusal is
 * normal (Chromium grants it to installed or engaged sites) and only worth a short note: the
 * app never waits for or depends on the answer.
 */
export type Persistence = 'persisted' | 'best-effort' | 'unknown'

export async function requestPersistence(): Promise<Persistence> {
  const storage = typeof navigator !== 'undefined' ? navigator.storage : undefined
  if (!storage?.persist) return 'unknown'
  try {
    if (await storage.persisted()) return 'persisted'
    return (await storage.persist()) ? 'persisted' : 'best-effort'
  } catch {
    return 'unknown'
  }
}
