/** Per-connection limits the server announces in its challenge ([S6]). */
export interface ServerLimits {
  /** Frames above this size get FRAME_TOO_LARGE; the socket stays open. */
  maxFrameBytes: number
  /** Hard cap after which ws closes the socket (1009) without reading further. */
  hardFrameBytes: number
  maxEnvelopesPerPush: number
  framesPerSecond: number
  burstFrames: number
  /** Frames refused for rate in a row before the socket is closed. */
  maxRateStrikes: number
  /** A socket that has not completed the handshake within this time is closed. */
  handshakeTimeoutMs: number
}

export const defaultLimits: ServerLimits = {
  maxFrameBytes: 4 * 1024 * 1024,
  hardFrameBytes: 16 * 1024 * 1024,
  maxEnvelopesPerPush: 256,
  framesPerSecond: 400,
  burstFrames: 800,
  maxRateStrikes: 200,
  handshakeTimeoutMs: 10_000,
}

/** Token bucket: `take()` is false when the connection is over its frame rate. */
export class TokenBucket {
  private tokens: number
  private last = performance.now()
  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst
  }
  take(): boolean {
    const now = performance.now()
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond)
    this.last = now
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}
