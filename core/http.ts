import type { Server } from 'node:http';

/** The URL a listening server is reached at; a wildcard bind is reached through loopback. */
export function listeningUrl(server: Server, host: string): string {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${reachable}:${port}`;
}
