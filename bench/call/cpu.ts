import { readFileSync, readdirSync } from 'node:fs'

/**
 * CPU time (user + system, ms) of a process and all its descendants, from /proc: the whole
 * browser (its renderers, GPU and network processes, and their media threads), which is where a
 * call's encoding, decoding and frame encryption run.
 */
export function treeCpuMs(root: number): number {
  const children = new Map<number, number[]>()
  const cpu = new Map<number, number>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const pid = Number(name)
      const ppid = Number(fields[1])
      cpu.set(pid, Number(fields[11]) + Number(fields[12]))
      children.set(ppid, [...(children.get(ppid) ?? []), pid])
    } catch {
      // gone meanwhile
    }
  }
  const tick = 1000 / 100 // USER_HZ
  let total = 0
  const walk = (pid: number) => {
    total += (cpu.get(pid) ?? 0) * tick
    for (const c of children.get(pid) ?? []) walk(c)
  }
  walk(root)
  return total
}
