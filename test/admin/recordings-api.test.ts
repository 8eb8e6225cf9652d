import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRange, registerRecordingsApi } from '../../src/admin/recordings-api.js';
import { readWav, writeWav } from '../../src/audio/index.js';
import { asCallSid, type BusinessId } from '../../src/ids.js';
import { CallsRepo } from '../../src/store/index.js';
import { recordsServer, type RecordsServer } from './records-access.js';

const ACME_CALL = `CA${'a'.repeat(32)}`;
const DENTAL_CALL = `CA${'d'.repeat(32)}`;
const SILENT_CALL = `CA${'0'.repeat(32)}`;
const ESCAPING_CALL = `CA${'e'.repeat(32)}`;
const LINKED_CALL = `CA${'l'.repeat(32)}`;

describe('GET /api/calls/:callSid/recording', () => {
  let s: RecordsServer;
  let wav: Buffer;

  beforeAll(async () => {
    s = await recordsServer((app, deps) => registerRecordingsApi(app, deps));
    // One second of stereo: the caller's side rising, the agent's falling, so a range is checkable.
    const left = Int16Array.from({ length: 8000 }, (_, i) => i);
    const right = Int16Array.from({ length: 8000 }, (_, i) => -i);
    wav = Buffer.from(writeWav({ sampleRate: 8000, channels: [left, right] }));
    const recordings = path.join(s.dataDir, 'recordings');
    mkdirSync(recordings, { recursive: true });
    const callsRepo = new CallsRepo(s.db);
    const call = async (callSid: string, businessId: BusinessId, recordingPath?: string) => {
      await callsRepo.createInbound({ callSid: asCallSid(callSid), businessId });
      if (recordingPath) await callsRepo.setRecording(asCallSid(callSid), recordingPath);
    };
    for (const [sid, business] of [
      [ACME_CALL, s.acme],
      [DENTAL_CALL, s.dental],
    ] as const) {
      writeFileSync(path.join(recordings, `${sid}.wav`), wav);
      await call(sid, business, path.join('recordings', `${sid}.wav`));
    }
    await call(SILENT_CALL, s.acme);
    // A file outside the recordings folder, reached by a stored path and by a link inside it.
    writeFileSync(path.join(s.dataDir, 'secret.wav'), wav);
    await call(ESCAPING_CALL, s.acme, 'recordings/../secret.wav');
    symlinkSync(path.join(s.dataDir, 'secret.wav'), path.join(recordings, `${LINKED_CALL}.wav`));
    await call(LINKED_CALL, s.acme, path.join('recordings', `${LINKED_CALL}.wav`));
  });
  afterAll(async () => s?.close());

  const recording = (callSid: string, headers: Record<string, string>, query = '') =>
    s.app.inject({ method: 'GET', url: `/api/calls/${callSid}/recording${query}`, headers });

  it("answers the business's own call with its stereo WAV, saying it takes byte ranges", async () => {
    const res = await recording(ACME_CALL, s.as.agentA);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('audio/wav');
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers['content-length']).toBe(String(wav.length));
    expect(res.headers['content-disposition']).toBeUndefined();
    expect(res.rawPayload.equals(wav)).toBe(true);
    const audio = readWav(res.rawPayload);
    expect(audio.channels).toHaveLength(2);
    expect(audio.channels[1]![100]).toBe(-100);
  });

  it('answers a Range with 206 and exactly those bytes, as <audio> asks when it seeks', async () => {
    const res = await recording(ACME_CALL, { ...s.as.ownerA, range: 'bytes=44-1043' });
    expect(res.statusCode).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes 44-1043/${wav.length}`);
    expect(res.headers['content-length']).toBe('1000');
    expect(res.rawPayload.equals(wav.subarray(44, 1044))).toBe(true);
    const open = await recording(ACME_CALL, { ...s.as.ownerA, range: 'bytes=0-' });
    expect(open.statusCode).toBe(206);
    expect(open.rawPayload.equals(wav)).toBe(true);
    const tail = await recording(ACME_CALL, { ...s.as.ownerA, range: 'bytes=-10' });
    expect(tail.headers['content-range']).toBe(`bytes ${wav.length - 10}-${wav.length - 1}/${wav.length}`);
    expect(tail.rawPayload.equals(wav.subarray(-10))).toBe(true);
    const past = await recording(ACME_CALL, { ...s.as.ownerA, range: `bytes=${wav.length}-` });
    expect(past.statusCode).toBe(416);
    expect(past.headers['content-range']).toBe(`bytes */${wav.length}`);
    expect(past.json()).toMatchObject({ error: 'range_not_satisfiable' });
  });

  it('reads a Range header as RFC 9110 says', () => {
    expect(parseRange(undefined, 100)).toBeUndefined();
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-200', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-200', 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 100)).toBe('unsatisfiable');
    // Ignored (the whole file is sent): not bytes, backwards, several ranges, nonsense.
    for (const ignored of ['items=0-1', 'bytes=9-2', 'bytes=0-1,5-6', 'bytes=-', 'bytes=a-b'])
      expect(parseRange(ignored, 100), ignored).toBeUndefined();
  });

  it('with ?download=1 is an attachment named <callSid>.wav', async () => {
    const res = await recording(ACME_CALL, s.as.ownerA, '?download=1');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${ACME_CALL}.wav"`);
  });

  it("answers 404 for another business's call exactly as for a missing one", async () => {
    const theirs = await recording(DENTAL_CALL, s.as.ownerA);
    const missing = await recording(`CA${'9'.repeat(32)}`, s.as.ownerA);
    expect([theirs.statusCode, missing.statusCode]).toEqual([404, 404]);
    expect(theirs.json()).toEqual(missing.json());
    const ranged = await recording(DENTAL_CALL, { ...s.as.agentA, range: 'bytes=0-9' });
    expect(ranged.statusCode).toBe(404);
    for (const who of [s.as.ownerB, s.as.admin, s.as.key])
      expect((await recording(DENTAL_CALL, who)).statusCode).toBe(200);
    expect((await recording(ACME_CALL, {})).statusCode).toBe(401);
  });

  it('answers 404 for a call without a recording', async () => {
    const res = await recording(SILENT_CALL, s.as.ownerA);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'not_found', message: 'This call has no recording.' });
  });

  it('never reads outside DATA_DIR/recordings, by a stored path or a link', async () => {
    for (const sid of [ESCAPING_CALL, LINKED_CALL]) {
      const res = await recording(sid, s.as.key);
      expect(res.statusCode, sid).toBe(404);
      expect(res.rawPayload.includes(wav.subarray(0, 44)), sid).toBe(false);
    }
  });
});
