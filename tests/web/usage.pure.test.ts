import { describe, expect, test } from 'vitest'
import { ZERO_COUNTS } from '../../client/core/stats/counts.js'
import type { UsageReport } from '../../client/core/stats/stats.js'
import { usageCsv, usageCsvName } from '../../client/web/usage/usageCsv.js'
import { webPlatform } from '../../client/web/usage/platform.js'

describe('[W38] usage export and platform', () => {
  test('the CSV has a header, one row per day, week and month, CRLF line ends, numbers only', () => {
    const r = {
      org: 'AbC-_x'.repeat(4),
      from: '2026-11-01',
      to: '2026-11-02',
      days: [{ day: '2026-11-01', values: { ...ZERO_COUNTS, active: 3, messages: 40 }, raw: { ...ZERO_COUNTS, active: 3, messages: 40 } }, { day: '2026-11-02', values: ZERO_COUNTS, raw: { ...ZERO_COUNTS, messages: -5 } }],
      weeks: [{ start: '2026-10-26', values: { ...ZERO_COUNTS, active: 3 } }],
      months: [{ start: '2026-11', values: { ...ZERO_COUNTS, messages: 40 } }],
      devicesInContact: [{ day: '2026-11-01', devices: 4 }],
      devicesInContactByWeek: [{ start: '2026-10-26', devices: 5 }],
    } as unknown as UsageReport
    expect(usageCsv(r)).toBe(
      'period,start,active,activeWeek,activeMonth,messages,files,fileMb,calls,callMinutes,devices\r\n' +
        'day,2026-11-01,3,0,0,40,0,0,0,0,4\r\nday,2026-11-02,0,0,0,-5,0,0,0,0,\r\nweek,2026-10-26,3,0,0,0,0,0,0,0,5\r\nmonth,2026-11,0,0,0,40,0,0,0,0,\r\n',
    )
    expect(usageCsvName(r)).toBe('usage-AbC-_xAb-2026-11-01-2026-11-02.csv')
  })

  test('the platform is coarse: the system family, no model or version', () => {
    expect(webPlatform('Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131 Mobile')).toBe('web/android')
    expect(webPlatform('Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15')).toBe('web/ios')
    expect(webPlatform('Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131')).toBe('web/windows')
    expect(webPlatform('Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) Safari/605')).toBe('web/mac')
    expect(webPlatform('Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/131')).toBe('web/linux')
    expect(webPlatform('curl/8')).toBe('web/other')
  })
})
