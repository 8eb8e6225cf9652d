import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whatsappChat, type WhatsAppExchange } from '../../src/sim/whatsapp-chat.js';
import { DEMO_PHONE_NUMBER } from '../../src/store/index.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * `switchboard whatsapp`'s engine against a real server: signed inbound messages, the agent's
 * replies read back from the outbox, and the owner alerts an emergency causes.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, { stt: null });
});
afterAll(async () => server?.stop());

describe('the WhatsApp simulator', () => {
  it('sends each message signed as Twilio does and reads the replies and alerts it caused', async () => {
    const seen: WhatsAppExchange[] = [];
    for await (const x of whatsappChat(
      ['Are you open on Saturday?', 'my pipe burst and water is everywhere'],
      {
        baseUrl: server.baseUrl,
        authToken: server.app.twilioAuthToken,
        apiKey: server.app.apiKey,
        from: '+15555550177',
        to: DEMO_PHONE_NUMBER,
      },
    ))
      seen.push(x);
    expect(seen).toHaveLength(2);
    expect(seen[0]!.replies.join(' ')).toMatch(/saturday/i);
    expect(seen[0]!.alerts).toEqual([]);
    expect(seen[1]!.replies.join(' ')).toMatch(/on-call|alert/i);
    expect(seen[1]!.alerts.map((a) => a.cause)).toContain('emergency');
    expect(seen[1]!.callSid).toMatch(/^WA[0-9a-f]{32}$/);
  });

  it('is refused by a server that does not share its auth token', async () => {
    const chat = whatsappChat(['hello'], {
      baseUrl: server.baseUrl,
      authToken: 'not-the-token-0123456789',
      apiKey: server.app.apiKey,
      from: '+15555550177',
      to: DEMO_PHONE_NUMBER,
    });
    await expect(chat.next()).rejects.toThrow(/403/);
  });
});
