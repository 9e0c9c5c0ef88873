/**
 * The Origin Private File System: large data the page writes itself (sealed uploads waiting to
 * go, downloads being opened), kept off the JavaScript heap and across reloads.
 */
export const OPFS_SPOOL = 'spool'
export const OPFS_DOWNLOADS = 'downloads'

export const hasOpfs = (): boolean => typeof navigator !== 'undefined' && typeof navigator.storage?.getDirectory === 'function'

export async function opfsFolder(name: string): Promise<FileSystemDirectoryHandle> {
  const root = await navigator.storage.getDirectory()
  return root.getDirectoryHandle(name, { create: true })
}

/** Removes a file if it is there. */
export async function removeEntry(dir: FileSystemDirectoryHandle, name: string): Promise<void> {
  await dir.removeEntry(name).catch((err: unknown) => {
    if (!(err instanceof DOMException && err.name === 'NotFoundError')) throw err
  })
}

/** The names of the files in a folder. */
export async function fileNames(dir: FileSystemDirectoryHandle): Promise<string[]> {
  const names: string[] = []
  for await (const [name, handle] of (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
    if (handle.kind === 'file') names.push(name)
  }
  return names
}
