import type { ClientMessage, ServerMessage } from '../../protocol/index.js'

/** One valid example of every message, with recognisable bytes. */
const b = (length: number, fill: number) => new Uint8Array(length).fill(fill)

export const CLIENT_EXAMPLES: Record<ClientMessage['type'], ClientMessage> = {
  hello: { type: 'hello', v: 3, device: b(32, 1), proof: b(64, 2), mailbox: b(32, 3), mailboxProof: b(64, 4) },
  join: { type: 'join', conv: b(16, 3), epoch: 4, cap: b(32, 5), proof: b(64, 6) },
  push: { type: 'push', id: 7, envelopes: [b(500, 8), b(300, 9)] },
  mail: { type: 'mail', id: 3, to: [b(32, 50), b(32, 54)], items: [b(200, 51)] },
  'mail-done': { type: 'mail-done', ids: [1, 2] },
  rekey: { type: 'rekey', conv: b(16, 40), from: 3, epoch: 7, cap: b(32, 41), admin: b(32, 42), proof: b(64, 43) },
  subscribe: { type: 'subscribe', conv: b(16, 10), doc: b(16, 11), cursor: 12 },
  unsubscribe: { type: 'unsubscribe', conv: b(16, 13), doc: b(16, 14) },
  ping: { type: 'ping', t: 1_700_000_000_000.5 },
  signal: { type: 'signal', conv: b(16, 60), body: b(557, 61) },
  'push-register': { type: 'push-register', secret: b(32, 70), endpoint: 'https://push.example/send/abc', p256dh: b(65, 71), auth: b(16, 72) },
  'push-unregister': { type: 'push-unregister', secret: b(32, 73) },
  wake: { type: 'wake', tokens: [b(32, 74), b(32, 75)] },
  turn: { type: 'turn' },
}

export const SERVER_EXAMPLES: Record<ServerMessage['type'], ServerMessage[]> = {
  challenge: [{ type: 'challenge', v: 3, nonce: b(32, 20), limits: { maxFrameBytes: 4_194_304, maxEnvelopesPerPush: 256, framesPerSecond: 400 } }],
  welcome: [{ type: 'welcome', v: 3 }],
  joined: [{ type: 'joined', conv: b(16, 21), epoch: 0xffffffff }],
  ack: [
    { type: 'ack', id: 22, results: [{ sseq: 1 }, { code: 1202 }, { sseq: Number.MAX_SAFE_INTEGER }] },
    { type: 'ack', id: 0, results: [] },
  ],
  envelopes: [
    { type: 'envelopes', conv: b(16, 23), doc: b(16, 24), items: [{ sseq: 1, env: b(469, 25) }, { sseq: 2, env: b(1, 26) }], live: false },
    { type: 'envelopes', conv: b(16, 23), doc: b(16, 24), items: [], live: true },
  ],
  snapshots: [{ type: 'snapshots', conv: b(16, 30), doc: b(16, 31), envs: [b(300, 32)] }, { type: 'snapshots', conv: b(16, 30), doc: b(16, 31), envs: [] }],
  'caught-up': [{ type: 'caught-up', conv: b(16, 27), doc: b(16, 28), cursor: 29 }],
  pong: [{ type: 'pong', t: -1.25 }],
  relay: [{ type: 'relay', conv: b(16, 62), body: b(2048, 63) }],
  'turn-credentials': [{ type: 'turn-credentials', urls: ['turn:turn.example:3478?transport=udp', 'turns:turn.example:5349'], username: '1796000000:ABUqP1RpfpOovdLn', credential: 'mTd2tAbSMRmaoqmhaMaSw3iCiCM=', ttl: 3600 }],
  mailbox: [{ type: 'mailbox', items: [{ id: 1, body: b(100, 53), fanout: 8 }] }, { type: 'mailbox', items: [] }],
  error: [
    { type: 'error', code: 1001, message: 'Frame exceeds the size limit.', fatal: false },
    { type: 'error', code: 1101, message: 'Capability proof rejected.', ref: 'AAAAAAAAAAAAAAAAAAAAAA', fatal: false },
  ],
}

export const ALL_CLIENT = Object.values(CLIENT_EXAMPLES)
export const ALL_SERVER = Object.values(SERVER_EXAMPLES).flat()
