import { XMLParser } from 'fast-xml-parser';

/** What a TwiML answer tells the simulated Twilio to do. */
export type TwimlAction =
  | { kind: 'stream'; url: string; parameters: Record<string, string>; statusCallback?: string }
  | { kind: 'say-hangup'; say: string[] }
  /**
   * `<Gather input="speech">` (a call taken as a message): Twilio says `say`, listens, and posts
   * what it heard as SpeechResult to `action`; hearing nothing, it follows `redirect` if any.
   */
  | { kind: 'gather'; action: string; method: string; say: string[]; redirect?: string }
  | { kind: 'other'; verbs: string[] };

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  isArray: (name) => ['Parameter', 'Say'].includes(name),
});

type SayNode = string | { '#text': string };
const sayText = (says: SayNode[] | undefined) =>
  (says ?? []).map((s) => (typeof s === 'string' ? s : s['#text']));

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
  const gather = response['Gather'] as Record<string, unknown> | undefined;
  if (
    gather &&
    String(gather['@input'] ?? '')
      .split(/\s+/)
      .includes('speech')
  ) {
    const redirect = response['Redirect'] as string | { '#text': string } | undefined;
    return {
      kind: 'gather',
      action: String(gather['@action']),
      method: String(gather['@method'] ?? 'POST'),
      say: sayText(gather['Say'] as SayNode[] | undefined),
      ...(redirect ? { redirect: typeof redirect === 'string' ? redirect : redirect['#text'] } : {}),
    };
  }
  if ('Say' in response) return { kind: 'say-hangup', say: sayText(response['Say'] as SayNode[]) };
  return { kind: 'other', verbs: Object.keys(response) };
}
