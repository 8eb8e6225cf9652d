/**
 * Turn latency of the turn-by-turn channels on one node with the embedded database (PGlite) and
 * the offline rules brain: N website visitors chatting at once over the widget's socket, and N
 * WhatsApp contacts writing at once through the signed webhook. Each conversation gives a need,
 * a name, a number, an address and its urgency (a whole lead), so every turn reads and writes the
 * conversation's state, transcript and lead in the database.
 *
 *   chat:      from a `message` sent on the socket to the first `reply` frame
 *   whatsapp:  the webhook's whole answer (the turn is taken and its reply is in the outbox)
 *
 * Run: npx tsx bench/channels.bench.ts [concurrent=16]   (the widget admits 20 new visitors a
 * minute per address, so at most 20 chats from this machine)
 */
import WebSocket from 'ws';
import { DEMO_PHONE_NUMBER } from '../src/store/index.js';
import { signTwilioRequest } from '../src/telephony/twilio/index.js';
import { startTestServer } from '../test/support/test-server.js';

const N = Math.min(20, Number(process.argv[2] ?? 16));
const TURNS = [
  'I need a leak fixed, can someone call me back',
  'Dana Whitfield',
  '555 201 7788',
  '42 Elm Street, Brooklyn',
  'The pipe under the kitchen sink is leaking',
  'This week is fine',
];

const server = await startTestServer({ LOG_LEVEL: 'silent' }, { stt: null });
const auth = { authorization: `Bearer ${server.app.apiKey}` };
const businesses = (await (await fetch(`${server.baseUrl}/api/business`, { headers: auth })).json()) as {
  items: Array<{ publicKey: string }>;
};
const publicKey = businesses.items[0]!.publicKey;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
function line(name: string, ms: number[], wallMs: number): string {
  const s = [...ms].sort((a, b) => a - b);
  return `  ${name.padEnd(9)} turns=${s.length}  p50 ${pct(s, 50).toFixed(0)} ms  p95 ${pct(s, 95).toFixed(0)} ms  max ${s.at(-1)!.toFixed(0)} ms  ${((s.length / wallMs) * 1000).toFixed(1)} turns/s`;
}

/** One visitor: hello, the greeting, then each turn timed to its first reply. */
async function chatVisitor(): Promise<number[]> {
  const ws = new WebSocket(`${server.baseUrl.replace(/^http/, 'ws')}/chat`);
  const inbox: Array<{ type: string }> = [];
  let wake: (() => void) | undefined;
  ws.on('message', (d) => {
    inbox.push(JSON.parse(String(d)) as { type: string });
    wake?.();
  });
  await new Promise<void>((r, j) => {
    ws.once('open', () => r());
    ws.once('error', j);
  });
  const until = async (type: string) => {
    for (;;) {
      const i = inbox.findIndex((m) => m.type === type);
      if (i >= 0) return inbox.splice(0, i + 1).at(-1)!;
      await new Promise<void>((r) => (wake = r));
    }
  };
  ws.send(JSON.stringify({ type: 'hello', key: publicKey }));
  await until('ready');
  await until('reply'); // the greeting
  const times: number[] = [];
  for (const [i, text] of TURNS.entries()) {
    inbox.length = 0;
    const t0 = performance.now();
    ws.send(JSON.stringify({ type: 'message', id: `m${i}`, text }));
    await until('reply');
    times.push(performance.now() - t0);
    // Let the rest of this turn's sentences arrive before the next message.
    await new Promise((r) => setTimeout(r, 50));
  }
  ws.close();
  return times;
}

/** One WhatsApp contact: each message a signed webhook, timed to its answer. */
async function whatsappContact(n: number): Promise<number[]> {
  const url = `${server.baseUrl}/whatsapp/message`;
  const times: number[] = [];
  for (const [i, text] of TURNS.entries()) {
    const params = {
      MessageSid: `SM${n.toString(16).padStart(8, '0')}${i.toString(16).padStart(24, '0')}`,
      AccountSid: `AC${'0'.repeat(32)}`,
      From: `whatsapp:+1555550${String(1000 + n)}`,
      To: `whatsapp:${DEMO_PHONE_NUMBER}`,
      Body: text,
      NumMedia: '0',
    };
    const t0 = performance.now();
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signTwilioRequest(server.app.twilioAuthToken, url, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    await res.text();
    if (!res.ok) throw new Error(`webhook answered ${res.status}`);
    times.push(performance.now() - t0);
  }
  return times;
}

console.log(
  `channels: ${N} concurrent conversations per channel, ${TURNS.length} turns each (PGlite, rules brain)`,
);
let t = performance.now();
const chat = (await Promise.all(Array.from({ length: N }, () => chatVisitor()))).flat();
console.log(line('chat', chat, performance.now() - t));
t = performance.now();
const wa = (await Promise.all(Array.from({ length: N }, (_, i) => whatsappContact(i)))).flat();
console.log(line('whatsapp', wa, performance.now() - t));
const leads = (await (await fetch(`${server.baseUrl}/api/leads?limit=200`, { headers: auth })).json()) as {
  items: Array<{ channel: string | null }>;
};
const byChannel = leads.items.reduce<Record<string, number>>(
  (a, l) => ({ ...a, [l.channel ?? '?']: (a[l.channel ?? '?'] ?? 0) + 1 }),
  {},
);
console.log(`  leads stored: ${JSON.stringify(byChannel)} (expected ${N} chat, ${N} whatsapp)`);
await server.stop();
