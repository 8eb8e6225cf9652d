/**
 * Soak: one whole server (forked, PGlite in a temp DATA_DIR, --expose-gc) takes calls on the
 * offline pipeline a few at a time, one after another, and chat conversations over /chat, for
 * 10 minutes. Every 30 s its heap and RSS are read after a full GC. Prints the series, the slope
 * (MB/min) of heap and RSS over the second half, the calls and chats served, and the handles
 * (sockets, timers...) open at the end against those open before the first call. Prints figures; never asserts.
 * Run: npx tsx bench/soak.bench.ts [minutes, default 10] [calls at once, default 3] [sample seconds, default 30]
 * Target (issue 14): memory flat (heap slope ~0 MB/min over the second half), no handles left.
 */
import WebSocket from 'ws';
import { runOfflineCallers } from './support/offline-callers.js';
import { startServerNode, type NodeStats } from './support/server-node.js';
import { fmt } from './support/twilio-media.js';

const minutes = Number(process.argv[2] ?? 10);
const callsAtOnce = Number(process.argv[3] ?? 3);
const sampleS = Number(process.argv[4] ?? 30);

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return num / den;
}

/** One chat: hello, three messages each waiting for its reply, then the socket closes. */
async function chatOnce(wsUrl: string, key: string): Promise<boolean> {
  const ws = new WebSocket(wsUrl);
  const inbox: Array<{ type: string }> = [];
  let wake = () => {};
  ws.on('message', (d) => {
    inbox.push(JSON.parse(String(d)) as { type: string });
    wake();
  });
  const next = async (type: string, ms = 15_000): Promise<boolean> => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const i = inbox.findIndex((m) => m.type === type);
      if (i >= 0) {
        inbox.splice(0, i + 1);
        return true;
      }
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 200);
      });
    }
    return false;
  };
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'hello', key }));
    if (!(await next('ready'))) return false;
    for (const [i, text] of ['What are your hours?', 'Do you fix water heaters?', 'Thanks, bye.'].entries()) {
      ws.send(JSON.stringify({ type: 'message', id: `m${i}`, text }));
      if (!(await next('reply'))) return false;
    }
    return true;
  } catch {
    return false;
  } finally {
    ws.close();
  }
}

const node = await startServerNode();
const t0 = performance.now();
const samples: Array<{ min: number; s: NodeStats }> = [];
const sample = async () => {
  await node.gc();
  const s = await node.stats();
  const min = (performance.now() - t0) / 60_000;
  samples.push({ min, s });
  console.log(
    `  ${fmt(min, 1).padStart(5)} min  heap ${fmt(s.heapUsedMb).padStart(6)} MB  RSS ${fmt(s.rssMb).padStart(6)} MB  external ${fmt(s.externalMb).padStart(6)} MB  live calls ${s.liveCalls}`,
  );
};
try {
  // The demo page embeds the first business's widget key.
  const demo = await fetch(`${node.baseUrl}/demo`).then((r) => r.text());
  const key = /pk_[0-9a-f]{32}/.exec(demo)?.[0];
  console.log(
    `Soak: ${minutes} min, ${callsAtOnce} calls at once on the offline pipeline${key ? ' and one chat at a time over /chat' : ' (no widget key found: no chats)'}; heap and RSS after GC every ${sampleS} s`,
  );
  await node.gc();
  const handlesBefore = (await node.stats()).handles;
  await sample();
  const timer = setInterval(() => void sample(), sampleS * 1000);
  let chats = 0;
  let chatsFailed = 0;
  const end = performance.now() + minutes * 60_000;
  const chatting = (async () => {
    if (!key) return;
    const wsUrl = `${node.baseUrl.replace(/^http/, 'ws')}/chat`;
    while (performance.now() < end) {
      if (await chatOnce(wsUrl, key)) chats++;
      else chatsFailed++;
      // Within the widget's new-visitor limit per address (20 a minute).
      await new Promise((r) => setTimeout(r, 4000));
    }
  })();
  const calls = await runOfflineCallers({
    n: callsAtOnce,
    seconds: minutes * 60,
    baseUrl: node.baseUrl,
    authToken: node.authToken,
  });
  await chatting;
  clearInterval(timer);
  // Every call and chat over: what is still open was left behind.
  await new Promise((r) => setTimeout(r, 5000));
  await sample();
  const handlesAfter = samples.at(-1)!.s.handles;
  const half = samples.filter((x) => x.min >= minutes / 2);
  const heapSlope = slope(
    half.map((x) => x.min),
    half.map((x) => x.s.heapUsedMb),
  );
  const rssSlope = slope(
    half.map((x) => x.min),
    half.map((x) => x.s.rssMb),
  );
  console.log(
    `\n  served: ${calls.calls} calls (${calls.failed} failed, ${calls.turns} caller turns), ${chats} chats (${chatsFailed} failed)`,
  );
  console.log(
    `  slope over the second half (${half.length} samples): heap ${fmt(heapSlope, 2)} MB/min, RSS ${fmt(rssSlope, 2)} MB/min`,
  );
  const kinds = [...new Set([...Object.keys(handlesBefore), ...Object.keys(handlesAfter)])].sort();
  console.log(
    `  handles before the first call -> after the last: ${kinds.map((k) => `${k} ${handlesBefore[k] ?? 0}->${handlesAfter[k] ?? 0}`).join(', ')}`,
  );
  console.log(`  unhandled rejections in the server: ${samples.at(-1)!.s.unhandledRejections}`);
} finally {
  await node.stop();
}
process.exit(0);
