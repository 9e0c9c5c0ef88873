import { createEffect, createMemo, createSignal, For, on, onCleanup, onMount, Show, type Accessor } from 'solid-js'
import { createVirtualizer } from '@tanstack/solid-virtual'
import type { DisplayMessage, FileScan } from '../../core/messenger.js'
import type { DownloadsBinding } from '../files/downloadBinding.js'
import { messageKey, newSince, reuseRows, timelineRows, type TimelineRow } from '../timeline/rows.js'
import { JumpToNewest } from './JumpToNewest.js'
import { TimelineRowView } from './TimelineRowView.js'
import { useMessageUi } from './MessageUiContext.js'
import { withSystemLines, type SystemRow } from '../timeline/systemRows.js'
import type { SystemLine } from '../timerBinding.js'
import { SystemLineRow } from './SystemLineRow.js'

/** Within this many pixels of the end the reader is "at the newest": new messages are followed. */
const END_PX = 80
/** Older segments load when the reader scrolls up to within this many pixels of the top. */
const TOP_PX = 400

/**
 * [W10][W11] The message log: virtualised (only the rows near the viewport are in the DOM), with
 * date separators and grouped messages. It starts at the newest message and follows new ones
 * while the reader is at the bottom (and always after this device's own); scrolled up, it stays
 * put and "Jump to newest" says how many arrived. Scrolling up near the top loads the next older
 * segment, and the message the reader was looking at stays where it was.
 */
export function MessageList(props: {
  messages: readonly DisplayMessage[]
  hasEarlier: boolean
  /** [M13a] The messages are the saved newest ones, standing in until the window loads. */
  previewing?: boolean
  onLoadEarlier: () => Promise<unknown>
  downloads?: DownloadsBinding
  scans?: Accessor<ReadonlyMap<string, FileScan>>
  /** [W28] System lines (timer changes) put in among the messages by time. */
  systemLines?: readonly SystemLine[]
  /** [W24] The key of the message the "Unread messages" separator goes before. */
  firstUnread?: string | undefined
  /** [W22] Told whether the reader is at the newest message (marking read waits for it). */
  onAtEnd?: (atEnd: boolean) => void
}) {
  let log!: HTMLDivElement
  let kept = new Map<string, TimelineRow>()
  const systemKept = new Map<string, SystemRow | TimelineRow>()
  const rows = createMemo(() => {
    const next = reuseRows(kept, timelineRows(props.messages, { now: Date.now(), hasEarlier: props.hasEarlier, firstUnread: props.firstUnread }))
    kept = next.byKey
    return withSystemLines(next.rows, props.systemLines ?? [], systemKept, { now: Date.now() })
  })
  const v = createVirtualizer<HTMLDivElement, HTMLLIElement>({
    get count() {
      return rows().length
    },
    getScrollElement: () => log,
    estimateSize: (i) => (rows()[i]?.kind === 'message' ? 64 : 44),
    getItemKey: (i) => rows()[i]?.key ?? i,
    overscan: 8,
    anchorTo: 'end',
    followOnAppend: true,
    scrollEndThreshold: END_PX,
  })

  const [atEnd, setAtEnd] = createSignal(true)
  const lastId = () => {
    const last = props.messages[props.messages.length - 1]
    return last && messageKey(last)
  }
  const [seen, setSeen] = createSignal<string>()
  createEffect(() => {
    if (atEnd()) setSeen(lastId())
  })
  createEffect(() => props.onAtEnd?.(atEnd()))
  const fresh = createMemo(() => newSince(props.messages, seen()))

  const toEnd = () => v.scrollToEnd()
  onMount(() => (rows().length ? toEnd() : undefined))
  // The first messages, and each one this device sends: shown at the bottom.
  createEffect(
    on(lastId, (id, before) => {
      const last = props.messages[props.messages.length - 1]
      if (!id || id === before) return
      if (before === undefined || last?.mine) toEnd()
    }),
  )

  let loading = false
  /** Loads the next older segment, then puts the message the reader was looking at back where it was. */
  const loadEarlier = async () => {
    if (loading || !props.hasEarlier) return
    loading = true
    const anchor = topMessage()
    try {
      await props.onLoadEarlier()
    } finally {
      requestAnimationFrame(() => {
        if (anchor) restore(anchor)
        loading = false
      })
    }
  }
  /** The first message row at least partly in view (from the list's layout, not the DOM, which may lag a scroll), and its top relative to the view's. */
  const topMessage = (): { key: string; delta: number } | undefined => {
    const top = log.scrollTop
    const first = v.getVirtualItemForOffset(top)
    if (!first) return undefined
    const all = rows()
    for (let i = first.index; i < all.length; i++) {
      const row = all[i]!
      if (row.kind !== 'message') continue
      const item = v.getOffsetForIndex(i, 'start') ? v.measurementsCache[i] : undefined
      if (!item) return undefined
      return { key: row.key, delta: item.start - top }
    }
    return undefined
  }
  /**
   * Puts the anchor back, then again on the next frames while the rows around it are measured
   * (their estimated heights move it) — for a few frames only, so the reader's own scroll wins.
   */
  let restoring = 0
  const restore = (anchor: { key: string; delta: number }, frames = 8, run = ++restoring, set?: number) => {
    // A jump since, or a scroll by anyone else (the reader, a jump's own corrections): theirs wins.
    // At the newest, the list follows new rows instead.
    if (run !== restoring || (set !== undefined && (atEnd() || Math.abs(log.scrollTop - set) > 1))) return
    const index = rows().findIndex((r) => r.key === anchor.key)
    // Asking for an offset brings the layout up to date with the new rows first.
    const item = index >= 0 && v.getOffsetForIndex(index, 'start') ? v.measurementsCache[index] : undefined
    if (!item || !log.isConnected) return
    const target = Math.max(0, item.start - anchor.delta)
    if (Math.abs(log.scrollTop - target) > 1) v.scrollToOffset(target)
    if (frames > 0) requestAnimationFrame(() => restore(anchor, frames - 1, run, log.scrollTop))
  }

  /**
   * [M13a] Scrolled up through the saved newest messages: when the loaded window replaces them
   * (older rows come above), the message the reader was looking at stays where it was, as after
   * loading earlier. (The list's own anchor is the row at the top, often a date separator, which
   * moves up with the day's older messages.)
   */
  let previewAnchor: { key: string; delta: number } | undefined
  createEffect(
    on(
      () => !!props.previewing,
      (now, before) => {
        const anchor = previewAnchor
        if (now || !before) return
        previewAnchor = undefined
        if (anchor && !atEnd()) requestAnimationFrame(() => restore(anchor))
      },
    ),
  )

  let lastTop = 0
  let lastHeight = 0
  const distance = () => log.scrollHeight - log.scrollTop - log.clientHeight
  const onScroll = () => {
    const up = log.scrollTop < lastTop
    // The list's own corrections (rows measured, a burst arriving) come with a change of height;
    // a scroll up over unchanged content is the reader's, and only the reader leaves the bottom.
    const grew = log.scrollHeight !== lastHeight
    lastTop = log.scrollTop
    lastHeight = log.scrollHeight
    if (distance() <= END_PX) setAtEnd(true)
    else if (up && !grew) setAtEnd(false)
    if (props.previewing) previewAnchor = atEnd() ? undefined : topMessage()
    if (up && log.scrollTop < TOP_PX) void loadEarlier()
  }
  // At the bottom, stay there when rows arrive or are measured.
  createEffect(
    on([rows, () => v.getTotalSize()], () => {
      if (!atEnd()) return
      requestAnimationFrame(() => {
        if (atEnd() && log.isConnected && distance() > 1) toEnd()
      })
    }),
  )
  // A first segment too short to scroll: the next older one loads at once.
  createEffect(
    on(rows, () =>
      requestAnimationFrame(() => {
        if (log.isConnected && log.scrollHeight <= log.clientHeight && props.hasEarlier) void loadEarlier()
      }),
    ),
  )

  /**
   * A jump's row, centred again on each of the next frames while the rows around it are measured
   * (their estimated heights move it; on a busy device that takes longer than the list's own
   * settling). The reader's own input (wheel, touch, keys, pointer) ends it at once.
   */
  const hold = (key: string, align: 'center' | 'start' = 'center', frames = 30, run = ++restoring) => {
    if (run !== restoring || !log.isConnected) return
    const index = rows().findIndex((r) => r.key === key)
    const at = index >= 0 ? v.getOffsetForIndex(index, align) : undefined
    if (!at) return
    if (Math.abs(log.scrollTop - at[0]) > 1) log.scrollTop = at[0]
    if (frames > 0) requestAnimationFrame(() => hold(key, align, frames - 1, run))
  }

  /**
   * [W24] Opened with more unread messages than the view holds: it starts at the "Unread
   * messages" separator (the first unread message near the top), as WhatsApp and Signal do, not
   * at the newest; the reader scrolls down through them, and reaching the newest marks them read.
   * When they all fit it stays at the newest. Once per opening.
   */
  let openedAtUnread = false
  createEffect(
    on([() => props.firstUnread, rows], ([key, all]) => {
      if (openedAtUnread || !key) return
      const index = all.findIndex((r) => r.kind === 'unread')
      if (index < 0) return
      openedAtUnread = true
      requestAnimationFrame(() => {
        const at = log.isConnected ? v.getOffsetForIndex(index, 'start') : undefined
        // Fits between the separator and the newest: nothing to do.
        if (!at || at[0] >= log.scrollHeight - log.clientHeight - END_PX) return
        v.cancelScroll()
        setAtEnd(false)
        hold('unread', 'start')
      })
    }),
  )
  const readerInput = () => restoring++
  onMount(() => {
    for (const type of ['wheel', 'touchstart', 'keydown', 'pointerdown'] as const) log.addEventListener(type, readerInput, { passive: true })
  })

  // [W15] A jump (a reply's quote, a pinned message) scrolls to the message's row and leaves the bottom.
  const ui = useMessageUi()
  if (ui) {
    ui.setScroller((ref) => {
      const row = rows().find((r) => r.kind === 'message' && r.message.ref === ref)
      if (!row) return false
      setAtEnd(false)
      hold(row.key)
      return true
    })
    onCleanup(() => ui.setScroller(undefined))
  }

  const items = () => v.getVirtualItems()
  return (
    <div class="log-wrap">
      <div class="log" role="log" aria-label="Messages" aria-busy={!!props.previewing} tabindex="0" ref={log} onScroll={onScroll}>
        <Show when={props.messages.length > 0 || props.hasEarlier || !!props.systemLines?.length} fallback={<p class="muted empty">No messages yet.</p>}>
          <div class="log-sizer" style={{ height: `${v.getTotalSize()}px` }}>
            <ol class="messages" style={{ transform: `translateY(${items()[0]?.start ?? 0}px)` }}>
              <For each={items()}>
                {(item) => (
                  <Show when={rows()[item.index]} keyed>
                    {(row) =>
                      row.kind === 'system' ? (
                        <SystemLineRow row={row} index={item.index} measure={(el) => queueMicrotask(() => el.isConnected && v.measureElement(el))} />
                      ) : (
                      <TimelineRowView
                        row={row}
                        index={item.index}
                        measure={(el) => queueMicrotask(() => el.isConnected && v.measureElement(el))}
                        onLoadEarlier={() => void loadEarlier()}
                        downloads={props.downloads}
                        scans={props.scans}
                      />
                      )
                    }
                  </Show>
                )}
              </For>
            </ol>
          </div>
        </Show>
      </div>
      <Show when={!atEnd()}>
        <JumpToNewest count={fresh()} onJump={() => (toEnd(), log.focus({ preventScroll: true }))} />
      </Show>
    </div>
  )
}
