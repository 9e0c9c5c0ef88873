/** Per-connection limits the server announces in its challenge ([S6]). */
export interface ServerLimits {
  /** Frames above this size get FRAME_TOO_LARGE; the socket stays open. */
  maxFrameBytes: number
  /** Hard cap after which ws closes the socket (1009) without reading further. */
  hardFrameBytes: number
  maxEnvelopesPerPush: number
  /** [S22] Frames per second of one device, across its connections and reconnects, and its burst. */
  framesPerSecond: number
  burstFrames: number
  /** [S22] Frames per second before authentication (hellos included), per client address, and the burst. */
  addressFramesPerSecond: number
  addressBurstFrames: number
  /** [S22] Frames read while paused for budget (what was already in hand); beyond either, RATE_LIMITED, fatal. */
  maxHeldFrames: number
  maxHeldBytes: number
  /** [S22] Frames queued and not yet answered before reading pauses (resumes at half). */
  maxQueuedFrames: number
  /** [S22] Mailbox rows (recipients and decoys × items) per second one device may post, and the burst. */
  mailRowsPerSecond: number
  mailRowsBurst: number
  /** [S46] Signals ([S44]) per second one device may send, and the burst; beyond, dropped with one RATE_LIMITED. */
  signalsPerSecond: number
  signalBurst: number
  /** [S47] A receiver with more than this many bytes unsent is not given a signal: it is dropped, never queued. */
  maxSignalBufferedBytes: number
  /** A socket that has not completed the handshake within this time is closed. */
  handshakeTimeoutMs: number
  /** [S6] An authenticated connection with no frame either way for this long (a silent peer, a frame left half-sent) is closed, IDLE_TIMEOUT. */
  idleTimeoutMs: number
  /** After a fatal close, a peer that does not finish the closing handshake is cut off after this. */
  closeGraceMs: number
  /** [S6] Bytes sent to a peer and not yet taken by it; beyond, it is closed with SLOW_READER (it resumes from its cursor). */
  maxBufferedBytes: number
  /** [S6] HTTP: a request (an upgrade included) whose headers are not complete within this time is closed. */
  headersTimeoutMs: number
  /** [S6] HTTP: a TCP connection that sends nothing for this long before its request completes is closed. */
  silentSocketMs: number
}

export const defaultLimits: ServerLimits = {
  maxFrameBytes: 4 * 1024 * 1024,
  hardFrameBytes: 16 * 1024 * 1024,
  maxEnvelopesPerPush: 256,
  framesPerSecond: 400,
  burstFrames: 800,
  // An office behind one address connects at once after an outage: every device's hello and pings.
  addressFramesPerSecond: 200,
  addressBurstFrames: 1_000,
  // The rest of a 64 KiB TCP chunk of the smallest frames; a frame up to maxFrameBytes in hand.
  maxHeldFrames: 20_000,
  maxHeldBytes: 8 * 1024 * 1024,
  maxQueuedFrames: 64,
  // A rotation for a 10,000-device organisation is 10,000 rows: two in a row, then one every 50 s.
  mailRowsPerSecond: 200,
  mailRowsBurst: 20_000,
  // Typing is one signal per 3 s, receipts are debounced: 10/s leaves room for a reconnect's
  // cursors in every conversation, paced by the client (client/core [M57]).
  signalsPerSecond: 10,
  signalBurst: 20,
  maxSignalBufferedBytes: 1024 * 1024,
  handshakeTimeoutMs: 10_000,
  // Clients ping after 15 s of silence ([M19]): four missed pings.
  idleTimeoutMs: 60_000,
  closeGraceMs: 2_000,
  headersTimeoutMs: 10_000,
  silentSocketMs: 15_000,
  // Far above what a catch-up keeps in flight (its backlog pages wait below 4 MiB unsent), far
  // below what readers that never read used to cost (2.6 GiB for 16 of them).
  maxBufferedBytes: 32 * 1024 * 1024,
}

/** [S16][S17] Limits of the recovery blob endpoints (plain HTTP, per client address and per server). */
export interface RecoveryLimits {
  /** Token bucket per client address ([S17]) over every /recovery request, GET and PUT alike. */
  requestsPerMinute: number
  burstRequests: number
  /** Client addresses tracked at once; beyond it the least recently seen are forgotten (they start full again). */
  maxTrackedClients: number
  /** Capacity of the whole store: a PUT beyond it gets 507 R507_FULL. */
  maxBlobs: number
  maxTotalBytes: number
  /** Bodies read at once; one more gets 503 R503_BUSY, so at most this many × 4 MiB are buffered. */
  maxConcurrentUploads: number
  /** A body that sends nothing for this long, or is not complete after bodyTimeoutMs, gets 408. */
  bodyIdleTimeoutMs: number
  bodyTimeoutMs: number
}

export const defaultRecoveryLimits: RecoveryLimits = {
  // An office behind one NAT address: every device of it refreshes its blob after a membership change.
  requestsPerMinute: 120,
  burstRequests: 40,
  maxTrackedClients: 100_000,
  maxBlobs: 10_000,
  maxTotalBytes: 2 * 1024 ** 3,
  maxConcurrentUploads: 16,
  bodyIdleTimeoutMs: 10_000,
  bodyTimeoutMs: 120_000,
}

/** [B4][B5][B9][B11] Limits of the blob endpoints (plain HTTP, per client address, per space and per server). */
export interface BlobLimits {
  /** [B11] Token bucket per client address over every /v1/blobs request. */
  requestsPerMinute: number
  burstRequests: number
  maxTrackedClients: number
  /** [B4] Bytes (padded chunks × 65,552) every blob of one space may take, complete or not: `--blob-space-quota-mb`. */
  spaceQuotaBytes: number
  /** [B4] Bytes the whole blob store may take: `--blob-max-total-mb` (default: no limit but the disk). */
  maxTotalBytes: number
  /** [B4] Free disk (statfs of the blob folder) a create must leave beyond every created blob's missing bytes. */
  diskReserveBytes: number
  /** [B9] An incomplete blob with no write for this many days is deleted by the sweep: `--blob-incomplete-days`. */
  incompleteDays: number
  /** [B5] Bodies read at once; one more PUT gets 503 B503_BUSY (each holds one chunk and, on PostgreSQL, a connection). */
  maxConcurrentUploads: number
  /** [B5] A body that sends nothing for this long while it is waited for is cut: 408 B408_BODY_TIMEOUT. */
  bodyIdleTimeoutMs: number
}

export const defaultBlobLimits: BlobLimits = {
  // A phone streaming a video asks for ranges as it plays; an office behind one NAT address uploads
  // in 16 MiB PUTs (a 2 GiB file is 128 of them).
  requestsPerMinute: 1_200,
  burstRequests: 300,
  maxTrackedClients: 100_000,
  spaceQuotaBytes: 20_480 * 1024 * 1024,
  maxTotalBytes: Number.POSITIVE_INFINITY,
  diskReserveBytes: 1024 ** 3,
  incompleteDays: 7,
  maxConcurrentUploads: 16,
  bodyIdleTimeoutMs: 30_000,
}
