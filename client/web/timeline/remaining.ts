/** [W29] Time left before a message disappears, in words: "less than a minute", "5 minutes", "3 hours", "2 days". */
export function remainingText(ms: number): string {
  const minutes = Math.ceil(ms / 60_000)
  if (ms < 60_000) return 'less than a minute'
  if (minutes < 60) return minutes === 1 ? '1 minute' : `${minutes} minutes`
  const hours = Math.round(ms / 3_600_000)
  if (hours < 24) return hours === 1 ? '1 hour' : `${hours} hours`
  const days = Math.round(ms / 86_400_000)
  return days === 1 ? '1 day' : `${days} days`
}

/** [W29] The short form shown beside the time: "<1m", "5m", "3h", "2d". */
export function remainingShort(ms: number): string {
  if (ms < 60_000) return '<1m'
  const minutes = Math.ceil(ms / 60_000)
  if (minutes < 60) return `${minutes}m`
  const hours = Math.round(ms / 3_600_000)
  if (hours < 24) return `${hours}h`
  return `${Math.round(ms / 86_400_000)}d`
}
