/** [W23] "Bea is typing…", "Bea and Cy are typing…", "Bea, Cy and 2 others are typing…"; '' when nobody is. */
export function typingText(names: readonly string[]): string {
  if (!names.length) return ''
  if (names.length === 1) return `${names[0]} is typing…`
  if (names.length <= 3) return `${names.slice(0, -1).join(', ')} and ${names.at(-1)} are typing…`
  return `${names.slice(0, 2).join(', ')} and ${names.length - 2} others are typing…`
}
