import { join } from 'node:path'
import { build } from 'esbuild'

/**
 * An entry point bundled once into plain ESM (dependencies stay in node_modules), so each measured
 * process starts in plain node, as a script would run the CLI, instead of transpiling every file
 * again (tests/integration/helpers/cli.ts does the same for the CLI tests).
 */
export async function bundle(entry: string, name: string): Promise<string> {
  const outfile = join(process.cwd(), 'node_modules', '.cache', 'fieldchat-bench-files', `${name}.mjs`)
  await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile, logLevel: 'warning' })
  return outfile
}
