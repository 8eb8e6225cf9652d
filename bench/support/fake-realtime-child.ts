/**
 * The child side of fake-realtime-node.ts: the local GA Realtime server
 * (test/support/fake-openai-realtime.ts) answering every turn with the same line.
 */
import { startFakeRealtime } from '../../test/support/fake-openai-realtime.js';

process.on('disconnect', () => process.exit(0));
const say =
  process.env['FAKE_REALTIME_SAY'] ?? 'Sure, a technician can come tomorrow morning. Does that work?';
const fake = await startFakeRealtime({ recordAudio: false });
fake.reply = () => ({ say });
process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'cpu') {
    const c = process.cpuUsage();
    process.send!({ cpuMs: (c.user + c.system) / 1000 });
  } else if (m.cmd === 'exit') void fake.close().then(() => process.exit(0));
});
process.send!({ baseUrl: fake.baseUrl, apiKey: fake.apiKey });
