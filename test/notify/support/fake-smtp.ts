import { createServer, type Server, type Socket } from 'node:net';

/**
 * A minimal SMTP server on 127.0.0.1 (RFC 5321 greeting, EHLO, MAIL, RCPT, DATA, RSET, QUIT) that
 * keeps each message, or answers RCPT with a scripted reply code to play a refusing server.
 */
export class FakeSmtpServer {
  readonly messages: Array<{ from: string; to: string[]; data: string }> = [];
  /** Reply to the next RCPT commands, e.g. "550 5.1.1 no such user"; then 250. */
  readonly rcptReplies: string[] = [];
  private server: Server | undefined;
  port = 0;

  async start(): Promise<this> {
    this.server = createServer((socket) => this.session(socket));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private session(socket: Socket): void {
    const reply = (line: string) => socket.write(`${line}\r\n`);
    let buffer = '';
    let inData = false;
    let from = '';
    let to: string[] = [];
    let data = '';
    socket.on('error', () => {});
    reply('220 localhost ESMTP fake');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          data += buffer.slice(0, end);
          buffer = buffer.slice(end + 5);
          inData = false;
          this.messages.push({ from, to, data: data.replace(/^\.\./gm, '.') });
          reply('250 2.0.0 OK queued');
          continue;
        }
        const nl = buffer.indexOf('\r\n');
        if (nl < 0) return;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') reply('250-localhost\r\n250 8BITMIME');
        else if (verb === 'HELO') reply('250 localhost');
        else if (verb === 'MAIL') {
          from = /<(.*)>/.exec(line)?.[1] ?? '';
          to = [];
          reply('250 2.1.0 OK');
        } else if (verb === 'RCPT') {
          const scripted = this.rcptReplies.shift();
          if (scripted) reply(scripted);
          else {
            to.push(/<(.*)>/.exec(line)?.[1] ?? '');
            reply('250 2.1.5 OK');
          }
        } else if (verb === 'DATA') {
          inData = true;
          data = '';
          reply('354 End data with <CR><LF>.<CR><LF>');
        } else if (verb === 'QUIT') {
          reply('221 2.0.0 Bye');
          socket.end();
          return;
        } else reply('250 OK');
      }
    });
  }
}
