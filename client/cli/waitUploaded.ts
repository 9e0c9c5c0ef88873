import { ClientError, ClientErrorCode } from '../core/errors.js'
import type { Cli } from './context.js'
import { CliError, CliErrorCode } from './errors.js'

/** Until the upload is gone from the queue (its message written), a refusal, or the timeout. */
export async function waitUploaded(cli: Cli, upload: string): Promise<void> {
  const { messenger } = cli
  const deadline = Date.now() + cli.remaining()
  for (;;) {
    const u = messenger.uploads().find((x) => x.id === upload)
    if (!u) return
    if (u.state === 'failed') throw new ClientError(u.error ?? ClientErrorCode.FILE_UNAVAILABLE, `the upload was refused; it stays queued (\`retry-upload ${upload}\` or \`cancel-upload ${upload}\`)`)
    if (Date.now() >= deadline) throw new CliError(CliErrorCode.NOT_IN_SYNC, 'the file is queued on this device and goes out with the next `sync`', { upload })
    await new Promise<void>((resolve) => {
      const off = messenger.events.on('uploads', () => (off(), clearTimeout(t), resolve()))
      const t = setTimeout(() => (off(), resolve()), Math.min(1000, Math.max(0, deadline - Date.now())))
    })
  }
}

