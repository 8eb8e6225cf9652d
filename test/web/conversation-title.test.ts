import { describe, expect, it } from 'vitest';
import { conversationTitle } from '../../web/admin/src/pages/parts/conversation-title.js';

const call = (channel: string, direction = 'inbound') => ({
  channel,
  direction,
  fromNumber: channel === 'whatsapp' ? 'whatsapp:+15555550100' : '+15555550100',
  toNumber: channel === 'whatsapp' ? 'whatsapp:+15555550199' : '+15555550199',
});

describe('conversationTitle', () => {
  it('names a phone call by the other party: who called us, or whom we called', () => {
    expect(conversationTitle(call('phone'))).toBe('Call from +15555550100');
    expect(conversationTitle(call('phone', 'outbound-api'))).toBe('Call to +15555550199');
  });

  it('names WhatsApp conversations by the number, without the whatsapp: prefix', () => {
    expect(conversationTitle(call('whatsapp'))).toBe('WhatsApp from +15555550100');
    expect(conversationTitle(call('whatsapp', 'outbound-api'))).toBe('WhatsApp to +15555550199');
  });

  it('names chats and browser calls, which have no number', () => {
    expect(conversationTitle({ ...call('chat'), fromNumber: null, toNumber: null })).toBe(
      'Chat with a website visitor',
    );
    expect(conversationTitle({ ...call('web'), fromNumber: null, toNumber: null })).toBe('Browser call');
  });

  it('says so when a call has no caller ID', () => {
    expect(conversationTitle({ ...call('phone'), fromNumber: null })).toBe('Call from unknown number');
  });
});
