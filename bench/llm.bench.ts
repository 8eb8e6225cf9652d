/**
 * Time to first sentence through the LLM brain, against the local fake OpenAI-compatible server
 * with a configurable delay before its first token: shows what our path (prompt building, HTTP,
 * SSE parsing, sentence splitting, tool round trips) adds on top of the model's own latency.
 * Prints figures only; never asserts timings.
 *
 * Run: npx tsx bench/llm.bench.ts [--delays=0,100,300] [--turns=40]
 */
import type { BrainOutput, TurnInput } from '../src/agent/brain.js';
import { LlmBrain, type LlmTurnMetrics } from '../src/agent/llm-brain.js';
import { buildMessages } from '../src/agent/llm-prompt.js';
import { loadLlmState } from '../src/agent/llm-state.js';
import { RulesBrain } from '../src/agent/rules/rules-brain.js';
import { OpenAiChatModel } from '../src/providers/llm/openai-chat.js';
import type { ChatMessage } from '../src/providers/llm/llm.js';
import { HashingEmbedder } from '../src/providers/embed/hashing.js';
import { FakeTools } from '../test/agent/fakes.js';
import { chicago, plumber } from '../test/agent/fixtures/businesses.js';
import { startFakeOpenAiServer, textStream, toolCallStream } from '../test/support/fake-openai-server.js';

function arg(name: string, fallback: string): string {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : fallback;
}
const DELAYS = arg('delays', '0,100,300').split(',').map(Number);
const TURNS = Number(arg('turns', '40'));

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const f1 = (x: number) => x.toFixed(1).padStart(7);

const NOW = chicago('2025-06-11T09:15:00');
const turn: TurnInput = { kind: 'speech', text: 'Do you do drain cleaning and how much is it?' };
const ANSWER = [
  'Yes, we do drain cleaning. ',
  'It starts ',
  'at $129, ',
  'and we can often ',
  'come the same day.',
];

const fake = await startFakeOpenAiServer();
const model = new OpenAiChatModel({ baseUrl: fake.baseUrl, model: 'fake-model', apiKey: 'k' });
const ctx = () => ({
  business: plumber,
  channel: 'phone' as const,
  transcript: [{ speaker: 'agent' as const, text: 'Good morning, thanks for calling Acme Plumbing.' }],
  state: {},
  now: NOW,
});

/** Raw client: request to first text delta, no brain. */
async function rawFirstToken(messages: ChatMessage[]): Promise<number> {
  const t0 = performance.now();
  for await (const d of model.stream(messages, [], new AbortController().signal)) {
    if (d.type === 'text') return performance.now() - t0;
  }
  return NaN;
}

interface Row {
  firstSay: number[];
  firstToken: number[];
  total: number[];
}

async function runBrain(reply: () => void, n: number): Promise<Row> {
  const row: Row = { firstSay: [], firstToken: [], total: [] };
  let last: LlmTurnMetrics | undefined;
  const tools = new FakeTools(plumber, () => NOW, {
    docs: [
      { title: 'Drain cleaning', text: 'Drain cleaning starts at $129; same-day visits are often possible.' },
    ],
  });
  const brain = new LlmBrain({
    model,
    fallback: new RulesBrain({ tools }),
    tools,
    firstTokenTimeoutMs: 5000,
    onTurn: (m) => (last = m),
  });
  for (let i = 0; i < n; i++) {
    reply();
    const t0 = performance.now();
    const outs: BrainOutput[] = [];
    for await (const o of brain.respond(turn, ctx(), new AbortController().signal)) outs.push(o);
    row.total.push(performance.now() - t0);
    if (last?.fallback) throw new Error(`unexpected fallback: ${last.fallback}`);
    row.firstSay.push(last?.firstSayMs ?? NaN);
    row.firstToken.push(last?.firstTokenMs ?? NaN);
  }
  return row;
}

// Warm up connections and JIT.
fake.defaultChat = () => textStream(ANSWER);
await runBrain(() => {}, 10);

const st = loadLlmState({});
const tBuild = performance.now();
for (let i = 0; i < 1000; i++) buildMessages(ctx(), turn, st, { voice: true });
const buildMs = (performance.now() - tBuild) / 1000;
const promptChars = buildMessages(ctx(), turn, st, { voice: true })[0]?.content.length ?? 0;

const hash = new HashingEmbedder();
const tHash = performance.now();
for (let i = 0; i < 2000; i++) hash.embedOne(`${turn.kind === 'speech' ? turn.text : ''} ${i}`);
const hashUs = ((performance.now() - tHash) / 2000) * 1000;

console.log(`LLM brain against the local fake server (${TURNS} turns per row; ms; p50 / p95)`);
console.log(`system prompt: ${promptChars} chars, built in ${(buildMs * 1000).toFixed(0)} us per turn`);
console.log(`hashing embedder: ${hashUs.toFixed(1)} us per short query (384 dims)`);
console.log('');
console.log(
  'scenario                       delay | raw 1st token | brain 1st token | 1st sentence  | overhead p50',
);
for (const delay of DELAYS) {
  fake.defaultChat = () => textStream(ANSWER, { firstDelayMs: delay });
  const raw: number[] = [];
  const messages = buildMessages(ctx(), turn, st, { voice: true });
  for (let i = 0; i < TURNS; i++) raw.push(await rawFirstToken(messages));
  const text = await runBrain(() => {}, TURNS);

  // One tool round trip (search_knowledge) before the answer: two model requests, each delayed.
  let round = 0;
  fake.defaultChat = (body) => {
    round++;
    const last = body.messages?.[body.messages.length - 1];
    return last?.role === 'tool'
      ? textStream(ANSWER, { firstDelayMs: delay })
      : toolCallStream(
          [{ id: `c${round}`, name: 'search_knowledge', args: ['{"query":"drain cleaning price"}'] }],
          {
            firstDelayMs: delay,
          },
        );
  };
  const tool = await runBrain(() => {}, TURNS);

  const line = (name: string, r: Row, rawMs: number[] | undefined, modelMs: number) =>
    console.log(
      `${name.padEnd(30)} ${String(delay).padStart(5)} | ${rawMs ? `${f1(pct(rawMs, 50))}/${f1(pct(rawMs, 95)).trim()}` : '            -'} | ${f1(
        pct(r.firstToken, 50),
      )}/${f1(pct(r.firstToken, 95)).trim().padEnd(6)} | ${f1(pct(r.firstSay, 50))}/${f1(pct(r.firstSay, 95)).trim().padEnd(5)} | ${f1(
        pct(r.firstSay, 50) - modelMs,
      )}`,
    );
  line('text answer', text, raw, delay);
  line('search_knowledge + answer', tool, undefined, 2 * delay);
}
console.log('');
console.log('raw 1st token: client alone, request to first text delta. brain 1st token: turn start to the');
console.log(
  "model's first text/tool call. 1st sentence: turn start to the first say output. overhead: first",
);
console.log("sentence minus the server's configured delay(s), i.e. everything our path adds.");
await fake.close();
