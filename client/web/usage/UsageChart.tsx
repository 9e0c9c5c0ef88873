import { onCleanup, onMount } from 'solid-js'
import type uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'

/** uPlot loads when the first chart is drawn, not with the app (it has no dependency, so nothing else moves with it). */
const loadPlot = () => import('uplot').then((m) => m.default)

export interface ChartSeries {
  readonly label: string
  readonly values: readonly number[]
  readonly stroke: string
}

/**
 * [W38] One usage chart (uPlot): days on the x axis, a line per series. The canvas is for the
 * eye; the numbers are in the table beside it (screen readers read that).
 */
export function UsageChart(props: { title: string; days: readonly string[]; series: readonly ChartSeries[] }) {
  let box!: HTMLDivElement
  let plot: uPlot | undefined
  let gone = false
  onMount(async () => {
    const UPlot = await loadPlot()
    if (gone) return
    const xs = props.days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000)
    const width = Math.max(280, Math.min(720, box.clientWidth || 560))
    plot = new UPlot(
      {
        title: props.title,
        width,
        height: 180,
        scales: { x: { time: true } },
        series: [{}, ...props.series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, points: { show: props.days.length <= 31 } }))],
        axes: [{}, { size: 48 }],
      },
      [xs, ...props.series.map((s) => [...s.values])],
      box,
    )
  })
  onCleanup(() => {
    gone = true
    plot?.destroy()
  })
  return <div class="usage-chart" ref={box} role="img" aria-label={`${props.title}: chart (the numbers are in the table below)`} />
}
