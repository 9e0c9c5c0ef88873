import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../integration/helpers/serverProcess.js'

/**
 * Debian's coturn (`turnserver`) run in the foreground on 127.0.0.1 with `use-auth-secret`, as the
 * README recipe runs it beside the sync server: for the TURN tests ([S55], crypto [X1]) and
 * bench:call. No test framework here (the bench imports it too).
 */
export const turnBinary: string | undefined = ['/usr/bin/turnserver', '/usr/local/bin/turnserver'].find((p) => existsSync(p))

export interface Coturn {
  readonly port: number
  readonly url: string
  /** Freezes it (SIGSTOP): the relayed path is down, as when a phone loses its network. */
  pause(): void
  /** Lets it run again (SIGCONT). */
  resume(): void
  stop(): Promise<void>
}

/** A TURN server on 127.0.0.1 that accepts credentials made with `secret`; resolves once it listens. */
export async function startCoturn(secret: string): Promise<Coturn> {
  const dir = mkdtempSync(join(tmpdir(), 'fieldchat-coturn-'))
  const port = await freePort()
  const relayFrom = 40_000 + Math.floor(Math.random() * 20_000)
  const child: ChildProcess = spawn(turnBinary!, [
    '-n', '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${port}`,
    `--min-port=${relayFrom}`, `--max-port=${relayFrom + 200}`,
    '--use-auth-secret', `--static-auth-secret=${secret}`, '--realm=fieldchat.test',
    '--no-tls', '--no-dtls', '--no-cli', '--log-file=stdout', '--simple-log', '--allow-loopback-peers',
    `--pidfile=${join(dir, 'turn.pid')}`, `--userdb=${join(dir, 'turndb')}`,
  ], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`coturn did not start:\n${out}`)), 20_000)
    const read = (d: Buffer) => {
      out += d.toString()
      if (/Total General servers/.test(out)) (clearTimeout(timer), resolve())
    }
    child.stdout!.on('data', read)
    child.stderr!.on('data', read)
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`coturn exited ${code}:\n${out}`))))
  })
  child.stdout!.resume()
  child.stderr!.resume()
  return {
    port,
    url: `turn:127.0.0.1:${port}?transport=udp`,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    async stop() {
      child.kill('SIGCONT')
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))])
        if (child.exitCode === null) child.kill('SIGKILL')
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
