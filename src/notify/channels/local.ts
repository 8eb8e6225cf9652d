import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { NotificationChannel, OutboundNotification, SendResult } from '../channel.js';
import { writePrivateFile } from '../../store/index.js';
import { mailFor } from './email-message.js';

export interface LocalChannelOptions {
  /** DATA_DIR; emails are written to DATA_DIR/outbox-mail/. */
  dataDir: string;
  /** From address on the .eml files. */
  from?: string | undefined;
}

/**
 * The embedded default for every kind: nothing leaves the machine. The outbox row itself, marked
 * sent, is the record the dashboard shows; an email is also written as an .eml file (open it in
 * any mail program) so what would have been sent can be read exactly.
 */
export class LocalOutboxChannel implements NotificationChannel {
  readonly name = 'local';
  readonly mailDir: string;
  private readonly composer = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'unix',
  });

  constructor(private readonly opts: LocalChannelOptions) {
    this.mailDir = path.join(opts.dataDir, 'outbox-mail');
  }

  async send(n: OutboundNotification): Promise<SendResult> {
    if (n.kind !== 'email') return { providerId: `local:${n.id}` };
    const info = await this.composer.sendMail(
      mailFor(n, this.opts.from ?? 'Switchboard <switchboard@localhost>'),
    );
    await mkdir(this.mailDir, { recursive: true, mode: 0o700 });
    const file = path.join(this.mailDir, `${n.id}.eml`);
    // Written whole then renamed: a reader never sees half a message, a retry just replaces it.
    // Owner-only: it holds what callers said.
    await writePrivateFile(`${file}.tmp`, info.message as Buffer);
    await rename(`${file}.tmp`, file);
    return { providerId: `local:${info.messageId}` };
  }
}
