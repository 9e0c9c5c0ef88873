/**
 * BlobStore invariant 6: work on one key takes turns, in the order it asked; other keys run
 * freely. In memory, per process (PostgreSQL adds a row lock across instances).
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>()

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve()
    let release!: () => void
    const tail = before.then(() => new Promise<void>((r) => (release = r)))
    this.tails.set(key, tail)
    await before
    try {
      return await work()
    } finally {
      release()
      if (this.tails.get(key) === tail) this.tails.delete(key)
    }
  }

  /** Whether work on `key` is running or waiting (the sweep leaves such a blob alone). */
  busy(key: string): boolean {
    return this.tails.has(key)
  }
}
