/** Bundles client/cli/main.ts into `dir` (inside node_modules) and returns the script to run with node. */
export function bundleCli(dir: string): Promise<string>
