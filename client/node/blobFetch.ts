import type { Fetch } from '../core/files/blobClient.js'

/**
 * The blob store's HTTP in Node: the global fetch, except that a byte body is handed over as a
 * one-chunk stream with its length. Given the bytes themselves, undici copies every body first
 * (a 16 MiB PUT is a 16 MiB copy); as a stream they go to the socket as they are. Measured on
 * 64 PUTs of 16 MiB to a local server: about a third of the CPU (bench:files). Browsers keep
 * the bytes (streamed request bodies need HTTP/2 there).
 */
export const nodeBlobFetch: Fetch = (input, init) => {
  const body = init?.body
  if (!(body instanceof Uint8Array)) return fetch(input, init)
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(body)
      controller.close()
    },
  })
  const headers = new Headers(init?.headers)
  headers.set('content-length', String(body.length))
  return fetch(input, { ...init, headers, body: stream, duplex: 'half' } as RequestInit)
}
