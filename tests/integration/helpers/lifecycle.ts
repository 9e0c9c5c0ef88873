import { afterAll, beforeAll } from 'vitest'
import { closePersona, persona, type Persona } from './clients.js'
import { startServerProcess, type ServerProcess } from './serverProcess.js'

/**
 * One real server process for a test file, and the personas the file creates: all of them are
 * closed, then the server is killed, after the file's tests.
 */
export function useServer(): { server: () => ServerProcess; persona: (name: string, options?: Parameters<typeof persona>[2]) => Promise<Persona> } {
  let server: ServerProcess | undefined
  const people: Persona[] = []
  beforeAll(async () => {
    server = await startServerProcess()
  })
  afterAll(async () => {
    await Promise.all(people.map(closePersona))
    await server?.kill()
  })
  return {
    server: () => server!,
    async persona(name, options) {
      const p = await persona(name, server!.url, options)
      people.push(p)
      return p
    },
  }
}
