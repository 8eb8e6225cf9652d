import type { NotificationChannel } from '../../notify/index.js';
import { TwilioVoiceChannel } from './alert-call-channel.js';
import type { TwilioRestClient } from './rest.js';
import { TwilioSmsChannel } from './sms-channel.js';
import { TwilioWhatsAppChannel } from './whatsapp-channel.js';

export { TwilioVoiceChannel, type TwilioVoiceOptions } from './alert-call-channel.js';
export { TwilioSmsChannel, type TwilioSmsOptions } from './sms-channel.js';
export { TwilioWhatsAppChannel, type TwilioWhatsAppOptions } from './whatsapp-channel.js';

export interface TwilioNotificationSettings {
  client: TwilioRestClient;
  /** The Twilio number SMS and alert calls come from (E.164). */
  from: string;
  /** The WhatsApp sender (whatsapp:+E164): WhatsApp rows whose payload names none come from it. */
  whatsappFrom?: string | undefined;
  /** Public origin for the alert calls' acknowledgement and status webhooks. */
  publicUrl: string;
}

/** Notify's SMS, WhatsApp and voice-call channels through Twilio, for the app's wiring to hand to notify. */
export function twilioNotificationChannels(s: TwilioNotificationSettings): {
  sms: NotificationChannel;
  'voice-call': NotificationChannel;
  whatsapp: NotificationChannel;
} {
  return {
    sms: new TwilioSmsChannel({ client: s.client, from: s.from, whatsappFrom: s.whatsappFrom }),
    // Replies and messages to WhatsApp contacts: free text or a Content API template.
    whatsapp: new TwilioWhatsAppChannel({ client: s.client, from: s.whatsappFrom }),
    'voice-call': new TwilioVoiceChannel({ client: s.client, from: s.from, publicUrl: s.publicUrl }),
  };
}
