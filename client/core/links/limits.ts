/**
 * [U11] Bounds on the work one message's links may cost. A message is at most
 * `MAX_MESSAGE_CHARS` ([M16]); text beyond `textChars` (a message from another version, an
 * archive) is shown as plain text, and so are links after the first `links`.
 */
export const LINK_LIMITS = {
  /** = `MAX_MESSAGE_CHARS` of documents/model.ts (a test holds them equal; importing it would pull Automerge in). */
  textChars: 20_000,
  links: 100,
  /** The shown text of a labelled link `[shown](target)`. */
  shownChars: 200,
  /** A link longer than this is not a link (plain text). */
  urlChars: 4096,
  /** The `--text` a caller passes to `checkLink` is read up to here. */
  shownTextChars: 1000,
} as const
