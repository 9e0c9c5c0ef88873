import { join } from 'node:path'
import { build } from 'esbuild'

/**
 * The floor's entry point bundled once into plain ESM (dependencies stay in node_modules), so each
 * measured process starts in plain node instead of transpiling again (the CLI is bundled as
 * `npm run cli` bundles it, client/cli/bundle.mjs).
 */
export async function bundle(entry: string, name: string): Promise<string> {
  const outfile = join(process.cwd(), 'node_modules', '.cache', 'fieldchat-bench-files', `${name}.mjs`)
  await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile, logLevel: 'warning' })
  return outfile
}
