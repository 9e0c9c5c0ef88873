import * as z from 'zod'

/**
 * The server's Content-Security-Policy has no 'unsafe-eval', so nothing may call `new Function`.
 * zod 4 compiles object parsers with it (and probes for it when a schema is built): switch that
 * off before any schema exists. main.tsx imports this module first for that reason. (cbor-x's
 * own probe is avoided by the `cbor-x/index-no-eval` alias in vite.config.ts.)
 */
z.config({ jitless: true })
