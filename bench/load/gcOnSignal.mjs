// bench:load preloads this into the server it measures (NODE_OPTIONS="--expose-gc --import …"):
// SIGUSR2 runs a full garbage collection, so RSS readings compare live memory, not garbage.
// Benchmark only; the server itself never loads it.
process.on('SIGUSR2', () => globalThis.gc?.())
