import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { assistedDialTwiml, connectStreamTwiml, dialTwiml } from '../../../src/telephony/twilio/twiml.js';

/** TwiML read back as Twilio would: verbs in document order, attributes by name. */
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  preserveOrder: true,
  parseTagValue: false,
});

type Node = Record<string, unknown> & { ':@'?: Record<string, string> };
function verbs(xml: string): Node[] {
  const doc = parser.parse(xml) as Node[];
  const response = doc.find((n) => 'Response' in n);
  return (response?.['Response'] as Node[]) ?? [];
}
const name = (n: Node) => Object.keys(n).find((k) => k !== ':@');
const children = (n: Node) => n[name(n)!] as Node[];
const text = (n: Node) => String((children(n)[0] as { '#text': unknown })['#text']);

const ASSIST = { url: 'wss://assist.example.com/assist/stream', token: 'tok&<"1>' };

describe('assisted dial TwiML', () => {
  it('starts a listen-only stream of both tracks with its token, then dials the agent with the business as caller ID', () => {
    const xml = assistedDialTwiml({
      assistStream: { ...ASSIST, statusCallbackUrl: 'https://sb.example.com/twilio/stream-status' },
      number: '+15005550101',
      callerId: '+15005550006',
    });
    const v = verbs(xml);
    expect(v.map(name)).toEqual(['Start', 'Dial']);
    const stream = children(v[0]!)[0]!;
    expect(name(stream)).toBe('Stream');
    expect(stream[':@']).toEqual({
      '@name': 'switchboard-assist',
      '@url': ASSIST.url,
      '@track': 'both_tracks',
      '@statusCallback': 'https://sb.example.com/twilio/stream-status',
    });
    const params = children(stream).map((p) => p[':@']);
    // The token survives XML escaping exactly.
    expect(params).toEqual([{ '@name': 'token', '@value': ASSIST.token }]);
    expect(v[1]![':@']).toEqual({ '@callerId': '+15005550006' });
    expect(text(v[1]!)).toBe('+15005550101');
    // Not <Connect>: that would hold the call on the stream and never reach the <Dial>.
    expect(xml).not.toContain('<Connect');
  });

  it('omits statusCallback and callerId when not given', () => {
    const v = verbs(assistedDialTwiml({ assistStream: ASSIST, number: '+15005550101' }));
    expect(children(v[0]!)[0]![':@']).toEqual({
      '@name': 'switchboard-assist',
      '@url': ASSIST.url,
      '@track': 'both_tracks',
    });
    expect(v[1]![':@']).toBeUndefined();
  });
});

describe('transfer TwiML', () => {
  it('is a plain <Dial> without an assist stream, as before', () => {
    const v = verbs(dialTwiml({ number: '+15005550101', callerId: '+15005550006', say: 'Connecting you.' }));
    expect(v.map(name)).toEqual(['Say', 'Dial']);
  });

  it('with an assist stream, starts it after any words and before the <Dial>', () => {
    const v = verbs(dialTwiml({ number: '+15005550101', say: 'Connecting you.', assistStream: ASSIST }));
    expect(v.map(name)).toEqual(['Say', 'Start', 'Dial']);
    expect(children(v[1]!)[0]![':@']).toMatchObject({ '@track': 'both_tracks', '@url': ASSIST.url });
  });
});

describe('media stream TwiML', () => {
  const stream = { streamUrl: 'wss://sb.example.com/twilio/stream', parameters: { token: 't1' } };

  it('is <Connect><Stream> alone by default: the call ends with the stream', () => {
    expect(verbs(connectStreamTwiml(stream)).map(name)).toEqual(['Connect']);
  });

  it('with streamEndedUrl, a POST <Redirect> follows, which Twilio runs when the stream ends and the call does not', () => {
    const v = verbs(
      connectStreamTwiml({ ...stream, streamEndedUrl: 'https://sb.example.com/twilio/stream-ended' }),
    );
    expect(v.map(name)).toEqual(['Connect', 'Redirect']);
    expect(v[1]![':@']).toEqual({ '@method': 'POST' });
    expect(text(v[1]!)).toBe('https://sb.example.com/twilio/stream-ended');
  });
});
