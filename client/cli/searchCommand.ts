import { parseConvId } from '../../protocol/index.js'
import type { SearchHit } from '../core/messenger.js'
import type { Cli } from './context.js'
import { usageError } from './errors.js'
import { iso, lines, result, type Result } from './output.js'

/** A snippet with its matched words in «…», for people. */
const marked = (h: SearchHit): string => {
  let out = ''
  let at = 0
  for (const [start, end] of h.snippet.ranges) {
    out += `${h.snippet.text.slice(at, start)}«${h.snippet.text.slice(start, end)}»`
    at = end
  }
  return out + h.snippet.text.slice(at)
}

/**
 * [M50]–[M52] `search QUERY [--conv CONV] [--limit N]`: this device's messages with every word of
 * the query, best first, from its own index; nothing is sent anywhere and the server is not
 * asked (`sync` first brings what waits there). The index is brought up to date before searching.
 */
export async function searchCommand(cli: Cli, args: readonly string[], opts: { readonly conv?: string; readonly limit?: string }): Promise<Result> {
  cli.identity()
  const query = args.join(' ')
  if (!query.trim()) throw usageError('search needs words to look for')
  const conv = opts.conv === undefined ? undefined : parseConvId(opts.conv)
  if (opts.conv !== undefined && !conv) throw usageError(`not a conversation id: ${opts.conv}`)
  const limit = opts.limit === undefined ? undefined : Number(opts.limit)
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw usageError(`--limit takes a positive whole number, not ${opts.limit}`)
  await cli.messenger.searchIndexed()
  const hits = await cli.messenger.search(query, { ...(conv ? { conv } : {}), ...(limit ? { limit } : {}) })
  const human = hits.length ? lines(hits.map((h) => [iso(h.ts), h.convTitle, `${h.authorName}:`, marked(h)])) : 'no messages found'
  return result(human, { query, hits: hits.map(({ conv: c, convTitle, id, segment, ts, author, authorName, text, snippet, score }) => ({ conv: c, convTitle, id, segment, ts, author, authorName, text, snippet, score })) })
}
