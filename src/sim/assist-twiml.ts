import { XMLParser } from 'fast-xml-parser';

/**
 * What the assist voice webhook's TwiML tells the simulated Twilio to do: listen in with a
 * two-track `<Start><Stream>` and ring the business's agent with `<Dial>` (a call the business
 * answers itself), or anything else (e.g. the AI's `<Connect><Stream>` when there is no agent number).
 */
export type AssistTwiml =
  | {
      kind: 'assist';
      /** The `<Start><Stream>`: where to stream, which tracks, its parameters (the token). */
      stream: { url: string; track: string; parameters: Record<string, string>; statusCallback?: string };
      /** The `<Dial>`: the number rung, the caller id shown, where Twilio reports its end (action). */
      dial: Dial;
    }
  | { kind: 'connect-stream'; url: string; parameters: Record<string, string> }
  | { kind: 'other'; verbs: string[] };

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  isArray: (name) => name === 'Parameter',
});

type Node = Record<string, unknown>;

export interface Dial {
  number: string;
  callerId?: string;
  action?: string;
  timeoutSeconds?: number;
}

const params = (stream: Node): Record<string, string> =>
  Object.fromEntries(
    ((stream['Parameter'] as Node[] | undefined) ?? []).map((p) => [String(p['@name']), String(p['@value'])]),
  );

/** `<Dial>+1555…</Dial>` or `<Dial><Number>+1555…</Number></Dial>`. */
function dialOf(dial: unknown): Dial | undefined {
  if (typeof dial === 'string' || typeof dial === 'number') return { number: String(dial).trim() };
  if (!dial || typeof dial !== 'object') return undefined;
  const d = dial as Node;
  const inner = d['Number'];
  const number =
    typeof d['#text'] === 'string' || typeof d['#text'] === 'number'
      ? String(d['#text'])
      : typeof inner === 'string' || typeof inner === 'number'
        ? String(inner)
        : inner && typeof inner === 'object'
          ? String((inner as Node)['#text'] ?? '')
          : '';
  return {
    number: number.trim(),
    ...(d['@callerId'] !== undefined ? { callerId: String(d['@callerId']) } : {}),
    ...(d['@action'] !== undefined ? { action: String(d['@action']) } : {}),
    ...(d['@timeout'] !== undefined ? { timeoutSeconds: Number(d['@timeout']) } : {}),
  };
}

export function readAssistTwiml(xml: string): AssistTwiml {
  const doc = parser.parse(xml) as { Response?: Node };
  const response = doc.Response;
  if (!response || typeof response !== 'object') throw new Error('TwiML has no <Response>');
  const start = response['Start'] as { Stream?: Node } | undefined;
  const dial = dialOf(response['Dial']);
  if (start?.Stream && dial) {
    const s = start.Stream;
    return {
      kind: 'assist',
      stream: {
        url: String(s['@url']),
        track: String(s['@track'] ?? 'inbound_track'),
        parameters: params(s),
        ...(s['@statusCallback'] ? { statusCallback: String(s['@statusCallback']) } : {}),
      },
      dial,
    };
  }
  const connect = response['Connect'] as { Stream?: Node } | undefined;
  if (connect?.Stream) {
    return {
      kind: 'connect-stream',
      url: String(connect.Stream['@url']),
      parameters: params(connect.Stream),
    };
  }
  return { kind: 'other', verbs: Object.keys(response) };
}
