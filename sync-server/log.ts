import { pino, type Logger } from 'pino'

/**
 * Structured JSON logs ([S8]). Callers pass only counts, codes, short connection ids and
 * document ids (random, already visible to the server): never frame bodies, envelope bytes,
 * keys or proofs. tests/integration/blindness scans this output.
 */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { svc: 'sync' }, timestamp: pino.stdTimeFunctions.isoTime })
}
export type { Logger }
