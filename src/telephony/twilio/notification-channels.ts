import type { NotificationChannel } from '../../notify/index.js';
import { TwilioVoiceChannel } from './alert-call-channel.js';
import type { TwilioRestClient } from './rest.js';
import { TwilioSmsChannel } from './sms-channel.js';

export { TwilioVoiceChannel, type TwilioVoiceOptions } from './alert-call-channel.js';
export { TwilioSmsChannel, type TwilioSmsOptions } from './sms-channel.js';

export interface TwilioNotificationSettings {
  client: TwilioRestClient;
  /** The Twilio number SMS and alert calls come from (E.164). */
  from: string;
  whatsappFrom?: string | undefined;
  /** Public origin for the alert calls' acknowledgement and status webhooks. */
  publicUrl: string;
}

/** Notify's SMS and voice-call channels through Twilio, for the app's wiring to hand to notify. */
export function twilioNotificationChannels(s: TwilioNotificationSettings): {
  sms: NotificationChannel;
  'voice-call': NotificationChannel;
  whatsapp: NotificationChannel;
} {
  const messages = new TwilioSmsChannel({ client: s.client, from: s.from, whatsappFrom: s.whatsappFrom });
  return {
    sms: messages,
    // Replies to WhatsApp contacts: the same Messages API, from the WhatsApp sender.
    whatsapp: messages,
    'voice-call': new TwilioVoiceChannel({ client: s.client, from: s.from, publicUrl: s.publicUrl }),
  };
}
