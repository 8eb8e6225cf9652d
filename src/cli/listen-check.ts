import { createServer } from 'node:net';

/**
 * Why the server cannot listen where it was told to, in words a person can act on, or undefined
 * for an error that is not about the address.
 */
export function listenProblem(err: unknown, at: { port: number; host: string }): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EADDRINUSE':
      return `port ${at.port} is in use: set PORT or use --port`;
    case 'EACCES':
      return `port ${at.port} needs more privileges than this process has: use a port above 1023 (set PORT or use --port)`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${at.host}: it is not an address of this machine (set HOST, e.g. 0.0.0.0 or 127.0.0.1)`;
    default:
      return undefined;
  }
}

/**
 * Tries the address before anything slow is opened (the embedded database takes seconds), so a
 * taken port is reported at once. Returns the problem, or undefined when the address is free.
 * The real listen can still lose a race to another process; that failure is handled there too.
 */
export function checkListenAddress(at: { port: number; host: string }): Promise<string | undefined> {
  if (at.port === 0) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err) =>
      resolve(listenProblem(err, at) ?? `cannot listen on ${at.host}:${at.port}: ${err.message}`),
    );
    probe.listen({ port: at.port, host: at.host, exclusive: true }, () =>
      probe.close(() => resolve(undefined)),
    );
  });
}
