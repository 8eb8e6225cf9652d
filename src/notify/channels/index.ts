import type { NotificationKind } from '../../store/schema/index.js';
import type { ChannelMap, NotificationChannel } from '../channel.js';
import { LocalOutboxChannel } from './local.js';
import { SlackWebhookChannel } from './slack.js';
import { SmtpEmailChannel } from './smtp.js';

export { LocalOutboxChannel } from './local.js';
export { SlackWebhookChannel } from './slack.js';
export { classifySmtpError, SmtpEmailChannel } from './smtp.js';

export interface ChannelSettings {
  dataDir: string;
  /** 'local': everything is recorded in the outbox only (embedded default); 'live': real providers. */
  delivery: 'local' | 'live';
  /**
   * SMS and voice alerts through the telephony provider, when live and configured. Built by the app's
   * wiring (src/telephony/twilio) and handed in, so notify does not import telephony.
   */
  telephony?:
    | { sms: NotificationChannel; 'voice-call': NotificationChannel; whatsapp: NotificationChannel }
    | undefined;
  smtp?: { url: string; from: string } | undefined;
  /** From address on the local .eml files. */
  mailFrom?: string | undefined;
}

/**
 * Which channel delivers each kind. In 'live' mode a kind whose provider is not configured stays
 * local (and `localKinds` says which, for a warning at start).
 */
export function buildChannels(s: ChannelSettings): { channels: ChannelMap; localKinds: NotificationKind[] } {
  const local = new LocalOutboxChannel({ dataDir: s.dataDir, from: s.smtp?.from ?? s.mailFrom });
  const live = s.delivery === 'live';
  const telephony = live ? s.telephony : undefined;
  const channels: ChannelMap = {
    sms: telephony?.sms ?? local,
    'voice-call': telephony?.['voice-call'] ?? local,
    email: live && s.smtp ? new SmtpEmailChannel(s.smtp) : local,
    slack: live ? new SlackWebhookChannel() : local,
    whatsapp: telephony?.whatsapp ?? local,
  };
  const localKinds = (Object.entries(channels) as Array<[NotificationKind, NotificationChannel]>)
    .filter(([, c]) => c === local)
    .map(([k]) => k);
  return { channels, localKinds };
}
