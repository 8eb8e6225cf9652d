import { describe, expect, it } from 'vitest';
import {
  TwilioFrameBuilder,
  clearMessage,
  markMessage,
  mediaMessage,
  parseInbound,
  parseOutbound,
} from '../../../src/telephony/twilio/stream-protocol.js';
import { asStreamSid } from '../../../src/ids.js';

// Frames exactly as Twilio's documentation shows them (PROTOCOLS.md 1.3).
const DOC_START = {
  event: 'start',
  sequenceNumber: '1',
  start: {
    accountSid: 'ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
    streamSid: 'MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
    callSid: 'CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
    tracks: ['inbound'],
    mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
    customParameters: { FirstName: 'Jane', LastName: 'Doe', RemoteParty: 'Bob' },
  },
  streamSid: 'MZXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
};

describe('parseInbound (Twilio -> Switchboard)', () => {
  it('reads the documented connected message', () => {
    const r = parseInbound('{"event":"connected","protocol":"Call","version":"1.0.0"}');
    expect(r).toEqual({ ok: true, message: { event: 'connected', protocol: 'Call', version: '1.0.0' } });
  });

  it('reads the documented start message with its custom parameters', () => {
    const r = parseInbound(JSON.stringify(DOC_START));
    expect(r.ok && r.message).toMatchObject({
      event: 'start',
      sequenceNumber: 1,
      callSid: 'CAXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX',
      customParameters: { FirstName: 'Jane' },
      mediaFormat: { sampleRate: 8000 },
    });
  });

  it('decodes a media payload of 160 bytes (20 ms) and numeric strings', () => {
    const payload = Buffer.alloc(160, 0xff).toString('base64');
    const r = parseInbound(
      JSON.stringify({
        event: 'media',
        sequenceNumber: '4',
        media: { track: 'inbound', chunk: '2', timestamp: '52', payload },
        streamSid: 'MZ1',
      }),
    );
    expect(r.ok).toBe(true);
    if (r.ok && r.message.event === 'media') {
      expect(r.message.payload.length).toBe(160);
      expect(r.message.timestamp).toBe(52);
      expect(r.message.chunk).toBe(2);
    }
  });

  it('accepts the old UUID-shaped stream SIDs seen on real streams', () => {
    const uuid = '9e7ee906-377b-408f-a852-eebfb834422a';
    const r = parseInbound(
      JSON.stringify({ ...DOC_START, streamSid: uuid, start: { ...DOC_START.start, streamSid: uuid } }),
    );
    expect(r.ok).toBe(true);
  });

  it('reads dtmf, mark and stop', () => {
    expect(
      parseInbound(
        '{"event":"dtmf","streamSid":"MZ1","sequenceNumber":"5","dtmf":{"track":"inbound_track","digit":"1"}}',
      ),
    ).toMatchObject({
      ok: true,
      message: { event: 'dtmf', digit: '1' },
    });
    expect(
      parseInbound('{"event":"mark","sequenceNumber":"4","streamSid":"MZ1","mark":{"name":"my label"}}'),
    ).toMatchObject({
      ok: true,
      message: { event: 'mark', name: 'my label' },
    });
    expect(
      parseInbound(
        '{"event":"stop","sequenceNumber":"5","stop":{"accountSid":"AC1","callSid":"CA1"},"streamSid":"MZ1"}',
      ),
    ).toMatchObject({
      ok: true,
      message: { event: 'stop', callSid: 'CA1' },
    });
  });

  it.each([
    ['not JSON', '{"event":'],
    ['an unknown event', '{"event":"teleport","streamSid":"MZ1"}'],
    ['a number where Twilio sends a string', JSON.stringify({ ...DOC_START, sequenceNumber: 1 })],
    [
      'a non-base64 payload',
      '{"event":"media","sequenceNumber":"4","media":{"track":"inbound","chunk":"2","timestamp":"5","payload":"%%%"},"streamSid":"MZ1"}',
    ],
    [
      'two DTMF keys in one message',
      '{"event":"dtmf","streamSid":"MZ1","sequenceNumber":"5","dtmf":{"track":"inbound_track","digit":"12"}}',
    ],
    ['a JSON array', '[1,2,3]'],
    ['null', 'null'],
    [
      'a stream id that is no Twilio id (a NUL, a lone surrogate)',
      JSON.stringify({
        ...DOC_START,
        streamSid: 'MZ\u0000\ud800',
        start: { ...DOC_START.start, streamSid: 'MZ\u0000' },
      }),
    ],
    [
      'a call id of any length',
      JSON.stringify({ ...DOC_START, start: { ...DOC_START.start, callSid: `CA${'0'.repeat(100)}` } }),
    ],
  ])('refuses %s with an error instead of throwing', (_name, raw) => {
    const r = parseInbound(raw);
    expect(r.ok).toBe(false);
    expect(r.ok === false && r.error.length).toBeGreaterThan(0);
  });
});

describe('messages to Twilio', () => {
  const sid = asStreamSid('MZabc');
  it('media carries only streamSid and a base64 payload', () => {
    expect(JSON.parse(mediaMessage(sid, new Uint8Array([0xff, 0x7f])))).toEqual({
      event: 'media',
      streamSid: 'MZabc',
      media: { payload: '/38=' },
    });
  });
  it('mark and clear have the documented shape', () => {
    expect(JSON.parse(markMessage(sid, 'm1'))).toEqual({
      event: 'mark',
      streamSid: 'MZabc',
      mark: { name: 'm1' },
    });
    expect(JSON.parse(clearMessage(sid))).toEqual({ event: 'clear', streamSid: 'MZabc' });
  });
  it('parseOutbound reads back what we send', () => {
    const r = parseOutbound(mediaMessage(sid, new Uint8Array(160).fill(1)));
    expect(r.ok && r.message.event === 'media' && r.message.payload.length).toBe(160);
  });
});

describe('TwilioFrameBuilder (Twilio side, for the simulator)', () => {
  it('shares one sequence counter across message types, starting at 1 on start', () => {
    const b = new TwilioFrameBuilder('AC1', 'CA1', 'MZ1');
    const seqs = [
      b.start({}),
      b.media(new Uint8Array(160), 0),
      b.mark('x'),
      b.dtmf('5'),
      b.media(new Uint8Array(160), 20),
      b.stop(),
    ].map((m) => (JSON.parse(m) as { sequenceNumber: string }).sequenceNumber);
    expect(seqs).toEqual(['1', '2', '3', '4', '5', '6']);
  });
  it('builds frames our parser accepts', () => {
    const b = new TwilioFrameBuilder('AC1', 'CA1', 'MZ1');
    for (const m of [
      b.connected(),
      b.start({ token: 't' }),
      b.media(new Uint8Array(160), 0),
      b.dtmf('#'),
      b.mark('m'),
      b.stop(),
    ]) {
      expect(parseInbound(m).ok).toBe(true);
    }
  });
});

// Seed 000's media frame, as the seed shows it (with a real base64 payload in place of its placeholder).
const SEED_000_MEDIA = {
  event: 'media',
  sequenceNumber: '1',
  media: {
    track: 'outbound',
    chunk: 'base64_encoded_audio',
    timestamp: '2023-01-01T00:00:00.000Z',
    payload: Buffer.alloc(160, 0x7f).toString('base64'),
  },
  streamSid: 'MZ1',
  accountSid: 'AC1',
  callSid: 'CA1',
};

describe('seed 000 frames (an assist forwarder)', () => {
  it('reads the seed media frame: its call, its track, an ISO time as epoch ms, any chunk', () => {
    const r = parseInbound(JSON.stringify(SEED_000_MEDIA));
    expect(r.ok).toBe(true);
    if (!r.ok || r.message.event !== 'media') throw new Error('not media');
    expect(r.message).toMatchObject({
      callSid: 'CA1',
      streamSid: 'MZ1',
      track: 'outbound',
      chunk: undefined,
      timestamp: Date.UTC(2023, 0, 1),
      timestampBase: 'epoch',
    });
    expect(r.message.payload).toEqual(new Uint8Array(160).fill(0x7f));
  });

  it('accepts digits where the seed shows an ISO time, and a numeric chunk', () => {
    const r = parseInbound(
      JSON.stringify({ ...SEED_000_MEDIA, media: { ...SEED_000_MEDIA.media, chunk: '7', timestamp: '140' } }),
    );
    expect(r.ok && r.message.event === 'media' && r.message).toMatchObject({
      chunk: 7,
      timestamp: 140,
      timestampBase: 'stream',
    });
  });

  it('reads a stop that names its call at top level', () => {
    expect(
      parseInbound('{"event":"stop","sequenceNumber":"9","streamSid":"MZ1","callSid":"CA1"}'),
    ).toMatchObject({ ok: true, message: { event: 'stop', callSid: 'CA1' } });
  });

  it.each([
    ['a timestamp that is no time', { timestamp: 'yesterday' }],
    ['a non-base64 payload', { payload: 'mulaw_audio_data' }],
    ['a track Twilio never sends', { track: 'inbound_track' }],
  ])('refuses a seed frame with %s', (_name, media) => {
    const r = parseInbound(
      JSON.stringify({ ...SEED_000_MEDIA, media: { ...SEED_000_MEDIA.media, ...media } }),
    );
    expect(r.ok).toBe(false);
    expect(r.ok === false && r.error).toMatch(/^media\./);
  });

  it("leaves Twilio's own media frame as strict as before: a chunk that is not digits is refused", () => {
    const r = parseInbound(
      JSON.stringify({
        event: 'media',
        sequenceNumber: '4',
        media: { track: 'inbound', chunk: 'x', timestamp: '5', payload: '' },
        streamSid: 'MZ1',
      }),
    );
    expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/^media\.chunk/) });
  });

  it("Twilio's frames carry no callSid and a stream timestamp", () => {
    const r = parseInbound(new TwilioFrameBuilder('AC1', 'CA1', 'MZ1').media(new Uint8Array(160), 40));
    expect(r.ok && r.message.event === 'media' && r.message).toMatchObject({
      timestamp: 40,
      timestampBase: 'stream',
    });
    expect(r.ok && r.message.event === 'media' && 'callSid' in r.message).toBe(false);
  });
});

describe('TwilioFrameBuilder, two tracks', () => {
  it("starts a <Start><Stream track='both_tracks'> stream with both tracks", () => {
    const b = new TwilioFrameBuilder('AC1', 'CA1', 'MZ1', { tracks: ['inbound', 'outbound'] });
    expect(parseInbound(b.start({ token: 't' }))).toMatchObject({
      ok: true,
      message: { event: 'start', tracks: ['inbound', 'outbound'], customParameters: { token: 't' } },
    });
  });

  it('routes media by track and counts chunks per track, one sequence for all', () => {
    const b = new TwilioFrameBuilder('AC1', 'CA1', 'MZ1', { tracks: ['inbound', 'outbound'] });
    b.start({});
    const frames = [
      b.media(new Uint8Array([1]), 0, 'inbound'),
      b.media(new Uint8Array([2]), 0, 'outbound'),
      b.media(new Uint8Array([3]), 20),
    ].map((f) => {
      const r = parseInbound(f);
      if (!r.ok || r.message.event !== 'media') throw new Error('not media');
      return r.message;
    });
    expect(frames.map((f) => [f.track, f.chunk, f.sequenceNumber, f.payload[0]])).toEqual([
      ['inbound', 1, 2, 1],
      ['outbound', 1, 3, 2],
      ['inbound', 2, 4, 3],
    ]);
  });

  it('builds seed-000 media frames our parser reads back with their call and time', () => {
    const b = new TwilioFrameBuilder('AC1', 'CA9', 'MZ1', {
      seed000: true,
      startedAtMs: Date.UTC(2024, 5, 1),
    });
    const raw = JSON.parse(b.media(new Uint8Array(160), 60, 'outbound')) as Record<string, unknown>;
    expect(raw).toMatchObject({
      callSid: 'CA9',
      accountSid: 'AC1',
      media: { timestamp: '2024-06-01T00:00:00.060Z', track: 'outbound' },
    });
    expect(parseInbound(JSON.stringify(raw))).toMatchObject({
      ok: true,
      message: { callSid: 'CA9', timestamp: Date.UTC(2024, 5, 1) + 60, timestampBase: 'epoch' },
    });
  });
});
