import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { signTwilioRequest, twilioSignatureVerifier } from '../../../src/telephony/twilio/signature.js';

const TOKEN = '12345';
const verifier = twilioSignatureVerifier(TOKEN);

describe('webhook signatures', () => {
  it("matches Twilio's documented test vector", () => {
    const params = {
      Digits: '1234',
      To: '+18005551212',
      From: '+14158675310',
      Caller: '+14158675310',
      CallSid: 'CA1234567890ABCDE',
    };
    const url = 'https://example.com/myapp.php?foo=1&bar=2';
    expect(signTwilioRequest(TOKEN, url, params)).toBe('L/OH5YylLD5NRKLltdqwSvS0BnU=');
    expect(verifier.webhook('L/OH5YylLD5NRKLltdqwSvS0BnU=', url, params)).toBe(true);
  });

  it('agrees with the twilio package on what it signs', () => {
    const params = { CallSid: 'CA1', To: '+15005550006', From: '+15555550100' };
    const sig = twilio.getExpectedTwilioSignature(TOKEN, 'https://sb.example.com/twilio/voice', params);
    expect(verifier.webhook(sig, 'https://sb.example.com/twilio/voice', params)).toBe(true);
  });

  it.each([
    ['a missing signature', undefined, {}],
    [
      'a signature made with another token',
      twilio.getExpectedTwilioSignature('other', 'https://sb.example.com/twilio/voice', { A: '1' }),
      { A: '1' },
    ],
    [
      'a tampered parameter',
      twilio.getExpectedTwilioSignature(TOKEN, 'https://sb.example.com/twilio/voice', { A: '1' }),
      { A: '2' },
    ],
  ])('refuses %s', (_n, sig, params) => {
    expect(verifier.webhook(sig, 'https://sb.example.com/twilio/voice', params)).toBe(false);
  });
});

describe('media stream upgrade signatures', () => {
  it('accepts the documented wss vectors, with and without a trailing slash', () => {
    expect(verifier.streamUpgrade('7PR3qMkpDyEJtMrVOY/LDyNq8J8=', 'wss://example.com/media')).toBe(true);
    expect(verifier.streamUpgrade('T+WBXwUXC0/CyoZ1DA+p9ilZORs=', 'wss://example.com/media')).toBe(true);
  });
  it('refuses a signature over the https:// form of the URL', () => {
    const sig = twilio.getExpectedTwilioSignature(TOKEN, 'https://example.com/media', {});
    expect(verifier.streamUpgrade(sig, 'wss://example.com/media')).toBe(false);
  });
});
