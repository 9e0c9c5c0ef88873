import type { DeviceId } from '../../../protocol/index.js'
import type { DeviceInfo } from './collector.js'
import type { Counts } from './counts.js'
import type { Day } from './days.js'
import type { GroupRelease, Release } from './release.js'

/** [Q7] What the admins see of a period: the collector's release, or its share ([Q10]). */
export interface UsageReport extends Release {
  readonly org: string
  readonly from: Day
  readonly to: Day
  /** The last day with released numbers (later ones are still open, [Q6]). */
  readonly lastClosedDay: Day
  readonly privacy: { readonly epsilonPerMetricDay: number; readonly clips: Counts; readonly noiseStdDev: Counts; readonly minCell: number; readonly closeAfterDays: number }
  /** Devices in contact per released day (asked for tokens), with noise ([Q7]). */
  readonly devicesInContact: readonly { readonly day: Day; readonly devices: number }[]
  /** Devices in contact per ISO week (from its Monday) and per month (`YYYY-MM`) of the released days, each device once, with noise ([Q7]). Absent from a report shared by an older version. */
  readonly devicesInContactByWeek?: readonly { readonly start: Day; readonly devices: number }[]
  readonly devicesInContactByMonth?: readonly { readonly start: string; readonly devices: number }[]
  /** Device management ([Q7]): every device that asked for tokens, with its last day, version and platform. */
  readonly devices: readonly (Omit<DeviceInfo, 'device'> & { readonly device: DeviceId; readonly person: string; readonly daysSilent: number })[]
  /** Versions and platforms in use, with at least MIN_CELL (5) devices each; the rest as `other`. */
  readonly versions: readonly { readonly name: string; readonly devices: number }[]
  readonly platforms: readonly { readonly name: string; readonly devices: number }[]
  /** Groups now, by size ([Q7]: from the organisation's own state, which its admins hold). */
  readonly groups: { readonly count: number; readonly sizes: readonly { readonly bucket: string; readonly groups: number }[] }
  /** [Q9] Activity of each group of at least MIN_CELL (5) people (smaller groups: none, and nothing of them is collected). */
  readonly groupActivity: readonly GroupRelease[]
  /**
   * [Q7] What the organisation's files take on the server now (padded bytes, the part still being
   * uploaded, and the quota: protocol [B13]), asked when the report was made; absent offline.
   */
  readonly storage?: { readonly bytes: number; readonly pending: number; readonly quotaBytes: number; readonly asOf: Day }
  readonly invitations: { readonly made: number; readonly accepted: number; readonly open: number; readonly expired: number; readonly revoked: number }
  /** [Q10] On another admin device: the day the collector made this report. */
  readonly sharedOn?: Day
}

