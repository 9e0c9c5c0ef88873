/**
 * [U4] Which writing systems a host label uses. Only letters count: digits, hyphens and
 * combining marks belong to every script (Unicode's Common and Inherited).
 */
const SCRIPTS = [
  'Latin', 'Cyrillic', 'Greek', 'Armenian', 'Georgian', 'Hebrew', 'Arabic', 'Han', 'Hiragana', 'Katakana', 'Hangul',
  'Bopomofo', 'Thai', 'Devanagari', 'Bengali', 'Tamil', 'Cherokee', 'Ethiopic',
] as const
const TESTS = SCRIPTS.map((name) => ({ name, re: new RegExp(`^\\p{Script=${name}}$`, 'u') }))
const LETTER = /^\p{L}$/u

/** The scripts of the letters of `label`, in order of first use; `Other` for a script not listed above. */
export function scriptsOf(label: string): string[] {
  const found: string[] = []
  for (const ch of label) {
    if (!LETTER.test(ch)) continue
    const script = TESTS.find((t) => t.re.test(ch))?.name ?? 'Other'
    if (!found.includes(script)) found.push(script)
  }
  return found
}

/**
 * Mixes a label may make (Unicode TS #39, "highly restrictive"): Japanese, Chinese and Korean
 * names are written with Latin and Han together; no other two scripts share a label.
 */
const ALLOWED_MIXES: readonly ReadonlySet<string>[] = [
  new Set(['Latin', 'Han', 'Hiragana', 'Katakana']),
  new Set(['Latin', 'Han', 'Bopomofo']),
  new Set(['Latin', 'Han', 'Hangul']),
]

export function isMixedScript(scripts: readonly string[]): boolean {
  if (scripts.length < 2) return false
  return !ALLOWED_MIXES.some((mix) => scripts.every((s) => mix.has(s)))
}

/**
 * Lower-case Cyrillic and Greek letters that pass for Latin ones in common fonts (host labels
 * are lower case once the URL parser has mapped them). A label made only of these reads as a
 * Latin name: `аррӏе` is Cyrillic from end to end.
 */
const LOOKALIKES: Readonly<Record<string, string>> = {
  Cyrillic: 'аеорсухіјѕһӏԁԛԝьҽпгѵѡкԍ',
  Greek: 'αονικρτυχϲϳε',
}

/** The script `label` is written in when every letter of it has a Latin look-alike; else undefined. */
export function latinLookalikeScript(label: string): string | undefined {
  const scripts = scriptsOf(label)
  const only = scripts.length === 1 ? scripts[0]! : undefined
  const set = only ? LOOKALIKES[only] : undefined
  if (!only || !set) return undefined
  for (const ch of label) if (LETTER.test(ch) && !set.includes(ch)) return undefined
  return only
}

/** The letters of `label` in `script`, for a reason's text ("Cyrillic: а"). */
export function lettersIn(label: string, script: string): string {
  const test = TESTS.find((t) => t.name === script)?.re
  return [...new Set([...label].filter((ch) => LETTER.test(ch) && (test ? test.test(ch) : !TESTS.some((t) => t.re.test(ch)))))].join(' ')
}
