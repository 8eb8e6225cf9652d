import { XMLParser } from 'fast-xml-parser';

/** What a TwiML answer tells the simulated Twilio to do. */
export type TwimlAction =
  | { kind: 'stream'; url: string; parameters: Record<string, string>; statusCallback?: string }
  | { kind: 'say-hangup'; say: string[] }
  | { kind: 'other'; verbs: string[] };

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  isArray: (name) => ['Parameter', 'Say'].includes(name),
});

export function readTwiml(xml: string): TwimlAction {
  const doc = parser.parse(xml) as { Response?: Record<string, unknown> };
  const response = doc.Response;
  if (!response || typeof response !== 'object') throw new Error('TwiML has no <Response>');
  const connect = response['Connect'] as { Stream?: Record<string, unknown> } | undefined;
  const stream = connect?.Stream;
  if (stream) {
    const params = (stream['Parameter'] as Array<Record<string, string>> | undefined) ?? [];
    return {
      kind: 'stream',
      url: String(stream['@url']),
      parameters: Object.fromEntries(params.map((p) => [String(p['@name']), String(p['@value'])])),
      ...(stream['@statusCallback'] ? { statusCallback: String(stream['@statusCallback']) } : {}),
    };
  }
  if ('Say' in response) {
    const says = response['Say'] as Array<string | { '#text': string }>;
    return { kind: 'say-hangup', say: says.map((s) => (typeof s === 'string' ? s : s['#text'])) };
  }
  return { kind: 'other', verbs: Object.keys(response) };
}
