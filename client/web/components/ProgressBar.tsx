/** A labelled progress bar with its percent as text too (never colour alone). */
export function ProgressBar(props: { label: string; value: number }) {
  return (
    <div class="progress-row">
      <div class="progress" role="progressbar" aria-label={props.label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={props.value} aria-valuetext={`${props.value}%`}>
        <div class="progress-fill" style={{ width: `${props.value}%` }} />
      </div>
      <span class="progress-text">{props.value}%</span>
    </div>
  )
}
